#!/bin/sh
# meson install: writes the standard sample set beside the installed streams, so that the shipped
# `scale` mount (uri "samples/C4_scale.wav", relative to the service's working directory, the
# installed data) plays under systemd too. $1: the built timeside; $2: the folder under the prefix.
set -e
exec "$1" samples "${MESON_INSTALL_DESTDIR_PREFIX}/$2"
