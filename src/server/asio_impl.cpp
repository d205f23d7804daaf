// Boost.Asio's and Boost.Beast's compiled parts, built once here (the *_SEPARATE_COMPILATION
// defines in the root meson.build keep every other unit to the declarations).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
