// A GstRTSPAuth subclass overriding `check` for the media factory access check only: everything
// else (the tokens, Basic parsing, the challenge's header) is GstRTSPAuth's own.
#include "server/rtsp/rtsp_auth.hpp"

namespace {

struct TimesideRtspAuth {
    GstRTSPAuth parent;
};
struct TimesideRtspAuthClass {
    GstRTSPAuthClass parent_class;
};

G_DEFINE_TYPE(TimesideRtspAuth, timeside_rtsp_auth, GST_TYPE_RTSP_AUTH)

// The client's token (its credentials', else the default one) may not access the path: 401 with
// the challenge, as a wrong password gets too.
gboolean check(GstRTSPAuth* auth, GstRTSPContext* ctx, const gchar* what) {
    auto* parent = GST_RTSP_AUTH_CLASS(timeside_rtsp_auth_parent_class);
    if (g_str_equal(what, GST_RTSP_AUTH_CHECK_MEDIA_FACTORY_ACCESS) && ctx->factory && ctx->request && ctx->response) {
        if (!ctx->token && parent->authenticate) parent->authenticate(auth, ctx);
        const gchar* role = ctx->token ? gst_rtsp_token_get_string(ctx->token, GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE) : nullptr;
        GstRTSPPermissions* perms = gst_rtsp_media_factory_get_permissions(ctx->factory);
        const bool allowed = role && perms && gst_rtsp_permissions_is_allowed(perms, role, GST_RTSP_PERM_MEDIA_FACTORY_ACCESS);
        if (perms) gst_rtsp_permissions_unref(perms);
        if (!allowed) {
            gst_rtsp_message_init_response(ctx->response, GST_RTSP_STS_UNAUTHORIZED,
                                           gst_rtsp_status_as_text(GST_RTSP_STS_UNAUTHORIZED), ctx->request);
            if (parent->generate_authenticate_header) parent->generate_authenticate_header(auth, ctx);
            gst_rtsp_client_send_message(ctx->client, ctx->session, ctx->response);
            return FALSE;
        }
    }
    return parent->check(auth, ctx, what);
}

void timeside_rtsp_auth_class_init(TimesideRtspAuthClass* klass) { GST_RTSP_AUTH_CLASS(klass)->check = check; }
void timeside_rtsp_auth_init(TimesideRtspAuth*) {}

}  // namespace

namespace timeside::server::rtsp {

GstRTSPAuth* make_rtsp_auth() { return GST_RTSP_AUTH(g_object_new(timeside_rtsp_auth_get_type(), nullptr)); }

}  // namespace timeside::server::rtsp
