/* SPDX-License-Identifier: MIT */
/*
 * `cellsync ui`: serves the pages of page.c to the browser of this laptop.
 *
 * Another user of the same computer can reach 127.0.0.1 too, so the port
 * alone protects nothing: each launch makes a 256-bit secret, the address
 * printed or opened carries it once (?k=), and the answer to it sets it as
 * an HttpOnly, SameSite=Strict cookie; every request without that cookie
 * gets 403. A page of another site in the same browser cannot send the
 * cookie along (SameSite) nor read an answer (no CORS), and every request
 * that would change something must be a POST carrying a form token derived
 * from the secret and, when the browser says where it comes from, an
 * Origin of this server. The Host must name this server too, so a name
 * that resolves to 127.0.0.1 (DNS rebinding) is refused.
 *
 * The replica is single-threaded: libmicrohttpd runs one internal thread,
 * which handles the requests one after another; the main thread only
 * waits for SIGINT or SIGTERM.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "cellsync/cli.h"
#include "cellsync/i18n.h"
#include "client.h"
#include "ui.h"

#define SECRET_LEN 32
#define HEX_LEN    (2 * SECRET_LEN + 1)
/*
 * A form's most: more than every box of the largest form (the meeting's)
 * filled to its maxlength with Vietnamese, 9 bytes a letter once encoded
 * (form.c), so that typing alone never meets it.
 */
#define BODY_MAX (2 * 1024 * 1024)
#define COOKIE   "cs_ui"

/*
 * libmicrohttpd is loaded by `cellsync ui` alone, when it starts: linked,
 * it and the TLS libraries it needs (gnutls, nettle, gmp, p11-kit, ...)
 * were mapped and relocated at the start of every command, a third of an
 * add's instructions (BENCHMARKS.md, section 6). The package depends on
 * it all the same (packaging/CMakeLists.txt); the soname is its ABI's.
 */
#define MHD_SONAME "libmicrohttpd.so.12"
static struct {
    struct MHD_Response *(*create_response_from_buffer)(size_t, void *,
                                                        enum MHD_ResponseMemoryMode);
    enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
    enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
    void (*destroy_response)(struct MHD_Response *);
    const char *(*lookup_connection_value)(struct MHD_Connection *, enum MHD_ValueKind,
                                           const char *);
    struct MHD_Daemon *(*start_daemon)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
                                       MHD_AccessHandlerCallback, void *, ...);
    void (*stop_daemon)(struct MHD_Daemon *);
} mhd;

/* The entry points of the header, each checked against its pointer's type (never evaluated). */
#define MHD_FNS(X)                                                                                 \
    X(create_response_from_buffer)                                                                 \
    X(add_response_header)                                                                         \
    X(queue_response)                                                                              \
    X(destroy_response)                                                                            \
    X(lookup_connection_value)                                                                     \
    X(start_daemon)                                                                                \
    X(stop_daemon)

/* Loads libmicrohttpd; 0, or -1 with dlerror()'s words in err. */
static int
mhd_load(char *err, size_t errlen)
{
    void *h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        snprintf(err, errlen, "%s", dlerror());
        return -1;
    }
#define LOAD(fn)                                                                                   \
    (void)sizeof(mhd.fn = &MHD_##fn);                                                              \
    if ((*(void **)&mhd.fn = dlsym(h, "MHD_" #fn)) == NULL) {                                      \
        snprintf(err, errlen, "%s", dlerror());                                                    \
        return -1;                                                                                 \
    }
    MHD_FNS(LOAD)
#undef LOAD
    return 0;
}

#define MHD_create_response_from_buffer mhd.create_response_from_buffer
#define MHD_add_response_header         mhd.add_response_header
#define MHD_queue_response              mhd.queue_response
#define MHD_destroy_response            mhd.destroy_response
#define MHD_lookup_connection_value     mhd.lookup_connection_value
#define MHD_start_daemon                mhd.start_daemon
#define MHD_stop_daemon                 mhd.stop_daemon

enum { OPT_NO_BROWSER, OPT_PORT, OPT__COUNT };
static const struct cs_cli_opt ui_opts[OPT__COUNT] = {
    [OPT_NO_BROWSER] = {"no-browser", 0, N_("print the address instead of opening a browser")},
    [OPT_PORT] = {"port", 1, N_("listen on this port of 127.0.0.1 (default: a free one)")},
};

struct server {
    struct ui_ctx ctx;
    char secret[HEX_LEN]; /* the cookie's value and the address's k, hex */
    char csrf[HEX_LEN];   /* the form token, hex */
    char host[64];        /* "127.0.0.1:PORT" */
    char origin[80];      /* "http://127.0.0.1:PORT" */
};

/* A POST's body, gathered over the calls of one request. */
struct request {
    char *body;
    size_t n;
    int too_big;
};

static int
same(const char *got, const char *want)
{
    size_t n = strlen(want);
    return got != NULL && strlen(got) == n && sodium_memcmp(got, want, n) == 0;
}

/*
 * When the page of the request being answered began (CLOCK_MONOTONIC), for its
 * Server-Timing header; zero: not a page (an asset, a 403). One variable is
 * enough: the one server thread answers one request at a time.
 */
static struct timespec page_start;

static enum MHD_Result
send_page(struct MHD_Connection *conn, unsigned status, struct ui_buf *b, const char *type,
          const char *cookie, const char *location)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    char timing[48] = "";

    /* The time the page took to make, for bench/bench_ui.sh and the browser's developer tools. */
    if (page_start.tv_sec != 0 || page_start.tv_nsec != 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        /* In whole microseconds: a locale's decimal comma must not reach the header. */
        long long us = (long long)(now.tv_sec - page_start.tv_sec) * 1000000 +
                       (now.tv_nsec - page_start.tv_nsec) / 1000;
        snprintf(timing, sizeof(timing), "app;dur=%lld.%03lld", us / 1000, us % 1000);
        page_start = (struct timespec){0};
    }

    if (b->oom) {
        ui_buf_free(b);
        return MHD_NO;
    }
    r = MHD_create_response_from_buffer(b->n, b->p ? b->p : (char *)"", MHD_RESPMEM_MUST_COPY);
    ui_buf_free(b);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; "
                            "img-src 'self'; object-src 'none'; base-uri 'none'; "
                            "form-action 'self'; frame-ancestors 'none'");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    /*
     * Not no-referrer: under it a browser sends "Origin: null" with the pages' own form
     * POSTs (the Fetch standard), which the Origin check refuses. same-origin sends the
     * origin to this server only, and no address of it to anyone else.
     */
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (cookie != NULL)
        MHD_add_response_header(r, "Set-Cookie", cookie);
    if (location != NULL)
        MHD_add_response_header(r, "Location", location);
    if (timing[0] != 0)
        MHD_add_response_header(r, "Server-Timing", timing);
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
forbidden(struct MHD_Connection *conn)
{
    struct ui_buf b = {0};
    int status = ui_page_forbidden(&b);
    return send_page(conn, (unsigned)status, &b, "text/html; charset=utf-8", NULL, NULL);
}

static enum MHD_Result
too_large(struct MHD_Connection *conn)
{
    struct ui_buf b = {0};
    int status = ui_page_too_large(&b, BODY_MAX / 1024);
    return send_page(conn, (unsigned)status, &b, "text/html; charset=utf-8", NULL, NULL);
}

/* The names a page reads as a list (ui_field_nth): attendance's checkboxes (meeting.c). */
static const char *const list_fields[] = {"present", NULL};

/*
 * A POST's body as the pages' forms send it, or its refusal page: 415 when
 * it is not x-www-form-urlencoded (multipart, text/plain, no Content-Type),
 * 400 or 422 when ui_form_check() finds a malformed escape, a %00, text not
 * UTF-8 or a field twice, which a page would read as other than what was
 * typed. 0: the page may read it.
 */
static int
body_refused(struct MHD_Connection *conn, const struct request *rq, struct ui_buf *b)
{
    const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    size_t tl = strlen(MHD_HTTP_POST_ENCODING_FORM_URLENCODED);
    char field[128];
    int problem;

    if (type == NULL || strncasecmp(type, MHD_HTTP_POST_ENCODING_FORM_URLENCODED, tl) != 0 ||
        (type[tl] != 0 && type[tl] != ';' && type[tl] != ' '))
        return ui_page_bad_type(b);
    problem =
        ui_form_check(rq->body != NULL ? rq->body : "", rq->n, list_fields, field, sizeof(field));
    if (problem < 0)
        return 500;
    return problem == UI_FORM_OK ? 0 : ui_page_bad_form(b, problem, field);
}

char *
ui_field_nth(const struct ui_req *r, const char *name, size_t nth)
{
    return r->body != NULL ? ui_form_field(r->body, name, nth) : NULL;
}

int
ui_field(const struct ui_req *r, const char *name, char *out, size_t outlen)
{
    char *v = ui_field_nth(r, name, 0);
    int ret = -1;

    if (v != NULL && strlen(v) < outlen) {
        memcpy(out, v, strlen(v) + 1);
        ret = 0;
    }
    free(v);
    return ret;
}

const char *
ui_arg(struct ui_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int
ui_redirect(struct ui_req *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->location, sizeof(r->location), fmt, ap);
    va_end(ap);
    return MHD_HTTP_SEE_OTHER;
}

/* Every file of pages: its table of addresses. */
static const struct ui_route *const routes[] = {
    ui_routes_home, ui_routes_candidate, ui_routes_member, ui_routes_meeting, ui_routes_conflict,
    ui_routes_sync, ui_routes_setup,     ui_routes_report, ui_routes_unlock,
};

static const struct ui_route *
route(const char *url)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        for (const struct ui_route *t = routes[i]; t->path != NULL; t++)
            if (strcmp(t->path, url) == 0)
                return t;
    return NULL;
}

/* The Host names this server (not a name that resolves to 127.0.0.1: DNS rebinding). */
static int
same_host(const struct server *s, struct MHD_Connection *conn)
{
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    return host != NULL && strcmp(host, s->host) == 0;
}

/* The request comes from the browser of this launch: this server's Host and the cookie. */
static int
admitted(const struct server *s, struct MHD_Connection *conn)
{
    return same_host(s, conn) &&
           same(MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, COOKIE), s->secret);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_len, void **req_cls)
{
    struct server *s = cls;
    struct request *rq = *req_cls;
    struct ui_buf b = {0};
    int status;
    (void)version;

    if (rq == NULL) {
        if ((rq = calloc(1, sizeof(*rq))) == NULL)
            return MHD_NO;
        *req_cls = rq;
        /*
         * A form announced over BODY_MAX is answered before its body is read
         * (libmicrohttpd then closes the connection): 413 to the browser of
         * this launch, 403 to anyone else.
         */
        const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (len != NULL && strcmp(method, MHD_HTTP_METHOD_POST) == 0 &&
            strtoull(len, NULL, 10) > BODY_MAX) {
            rq->too_big = 1;
            return admitted(s, conn) ? too_large(conn) : forbidden(conn);
        }
        return MHD_YES;
    }
    if (*upload_len != 0) {
        /* Gathered whole (forms are small); past BODY_MAX the request is refused below. */
        if (!rq->too_big && rq->n + *upload_len <= BODY_MAX) {
            char *p = realloc(rq->body, rq->n + *upload_len + 1);
            if (p == NULL)
                return MHD_NO;
            memcpy(p + rq->n, upload, *upload_len);
            rq->body = p;
            rq->n += *upload_len;
            rq->body[rq->n] = 0;
        } else {
            rq->too_big = 1;
        }
        *upload_len = 0;
        return MHD_YES;
    }

    if (!same_host(s, conn))
        return forbidden(conn);
    /* The address opened once: set the cookie and go home, so the secret leaves the address bar. */
    const char *k = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "k");
    if (k != NULL && strcmp(method, MHD_HTTP_METHOD_GET) == 0 && strcmp(url, "/") == 0) {
        char cookie[HEX_LEN + 80];
        if (!same(k, s->secret))
            return forbidden(conn);
        snprintf(cookie, sizeof(cookie), COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/",
                 s->secret);
        return send_page(conn, MHD_HTTP_SEE_OTHER, &b, "text/plain", cookie, "/");
    }
    if (!admitted(s, conn))
        return forbidden(conn);
    int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    if (post) {
        const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
        if (origin != NULL && strcmp(origin, s->origin) != 0)
            return forbidden(conn);
        /* Past BODY_MAX the body was not kept whole: refused, the token read or not. */
        if (rq->too_big)
            return too_large(conn);
        if ((status = body_refused(conn, rq, &b)) != 0)
            return send_page(conn, (unsigned)status, &b, "text/html; charset=utf-8", NULL, NULL);
        char *token = rq->body != NULL ? ui_form_field(rq->body, "csrf", 0) : NULL;
        int good = token != NULL && same(token, s->csrf);
        free(token);
        if (!good)
            return forbidden(conn);
    } else if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
               strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        return forbidden(conn);
    }
    if (!post && strcmp(url, "/style.css") == 0) {
        ui_raw(&b, ui_style_css);
        return send_page(conn, MHD_HTTP_OK, &b, "text/css; charset=utf-8", NULL, NULL);
    }
    if (!post && strcmp(url, "/app.js") == 0) {
        ui_raw(&b, ui_app_js);
        return send_page(conn, MHD_HTTP_OK, &b, "text/javascript; charset=utf-8", NULL, NULL);
    }
    /* Pages left open past midnight: today is read again for each page, as a command reads it. */
    if (s->ctx.c != NULL) {
        char err[256];
        int32_t today;
        if (cs_replica_today(s->ctx.c->rep, &today, err, sizeof(err)) == 0)
            s->ctx.c->today = today;
    }
    const struct ui_route *rt = route(url);
    ui_handler fn = rt == NULL ? NULL : post ? rt->post : rt->get;
    /* No replica yet: every address shows the setup page; the other pages read the records. */
    if (s->ctx.c == NULL && strcmp(url, "/setup") != 0)
        fn = route("/setup")->get;
    /* A sealed key: every address asks its passphrase first, once a run (unlock.c). */
    else if (s->ctx.c != NULL && strcmp(url, "/unlock") != 0 && ui_locked(&s->ctx))
        fn = route("/unlock")->get;
    struct ui_req r = {
        .method = post ? "POST" : "GET", .url = url, .body = post ? rq->body : NULL, .conn = conn};
    clock_gettime(CLOCK_MONOTONIC, &page_start);
    status = fn != NULL ? fn(&s->ctx, &r, &b) : ui_page_not_found(&s->ctx, &b);
    /* A page that failed before it wrote anything still says so in words. */
    if (status >= 500 && b.n == 0)
        status = ui_page_failed(&s->ctx, &b);
    if (status == MHD_HTTP_SEE_OTHER)
        return send_page(conn, (unsigned)status, &b, "text/plain", NULL, r.location);
    return send_page(conn, (unsigned)status, &b, r.type ? r.type : "text/html; charset=utf-8", NULL,
                     NULL);
}

static void
done(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode why)
{
    struct request *rq = *req_cls;
    (void)cls;
    (void)conn;
    (void)why;
    if (rq != NULL) {
        free(rq->body);
        free(rq);
        *req_cls = NULL;
    }
}

/* xdg-open, run directly (no shell reads the address); not waited for. */
static pid_t
open_browser(const char *url)
{
    pid_t pid = fork();
    if (pid == 0) {
        /* The browser it starts must not inherit the server's blocked SIGINT and SIGTERM. */
        sigset_t none;
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        execlp("xdg-open", "xdg-open", url, (char *)NULL);
        _exit(127);
    }
    return pid;
}

#define STOP_WAIT 60 /* seconds a running sync is given to finish when the ui is stopped */

/*
 * Waits, when the ui is stopped, for the sync or stick job the worker runs
 * (sync.c) to finish: at most STOP_WAIT seconds, or until Ctrl-C again.
 * 0 when none runs any more, -1 when one still does.
 */
static int
wait_job(const sigset_t *stop)
{
    struct timespec tick = {0, 100 * 1000 * 1000};

    if (!ui_sync_running())
        return 0;
    fprintf(stderr,
            _("cellsync ui: waiting for the sync to finish before stopping (at most %d seconds; "
              "Ctrl-C again stops at once)\n"),
            STOP_WAIT);
    for (int i = 0; i < STOP_WAIT * 10 && ui_sync_running(); i++)
        if (sigtimedwait(stop, NULL, &tick) > 0)
            break;
    if (!ui_sync_running())
        return 0;
    fprintf(stderr, _("cellsync ui: stopped before the sync finished; sync again to finish it\n"));
    return -1;
}

int
cmd_ui(int argc, char **argv)
{
    const char *ov[OPT__COUNT];
    struct server s;
    struct client c = {0};
    char home[PATH_MAX], db[PATH_MAX + 32];
    struct MHD_Daemon *d = NULL;
    unsigned char key[SECRET_LEN], tok[SECRET_LEN];
    sigset_t stop;
    long port = 0;
    int rest, ret, sig;
    pid_t browser = -1;

    ret = client_args("ui", _("usage: cellsync ui [--no-browser] [--port N]"),
                      _("Starts the web pages of cellsync for this computer's browser, on\n"
                        "127.0.0.1 only, and opens them. The address carries a secret made for\n"
                        "this start: only the browser that opened it can use the pages."),
                      argc, argv, ui_opts, OPT__COUNT, ov, &rest);
    if (ret != CS_CLI_GO_ON)
        return ret;
    if (rest != argc)
        return client_usage(_("ui: unexpected argument '%s'"), argv[rest]);
    if (ov[OPT_PORT] != NULL) {
        char *end;
        port = strtol(ov[OPT_PORT], &end, 10);
        if (end == ov[OPT_PORT] || *end != 0 || port < 0 || port > 65535)
            return client_usage(_("ui: --port: '%s' is not a port number (0 to 65535)"),
                                ov[OPT_PORT]);
    }
    char why[256];
    if (mhd_load(why, sizeof(why)) != 0)
        return client_fail("%s", why);
    if (sodium_init() < 0)
        return client_fail(_("cannot start the random number generator"));
    /* A sealed key's passphrase is asked on a page (unlock.c), never on a terminal. */
    client_pass_no_terminal();
    if (client_home(home, sizeof(home)) != 0)
        return CS_EXIT_FAILURE;
    /* Without a replica the pages start with the setup page, which makes and opens it. */
    snprintf(db, sizeof(db), "%s/%s", home, CLIENT_REPLICA);
    if (access(db, F_OK) == 0 && (ret = client_open(&c)) != 0)
        return ret;
    ret = CS_EXIT_FAILURE;

    memset(&s, 0, sizeof(s));
    randombytes_buf(key, sizeof(key));
    sodium_bin2hex(s.secret, sizeof(s.secret), key, sizeof(key));
    /* The form token: the secret's keyed hash, so it names this launch without revealing it. */
    crypto_generichash(tok, sizeof(tok), (const unsigned char *)"csrf", 4, key, sizeof(key));
    sodium_bin2hex(s.csrf, sizeof(s.csrf), tok, sizeof(tok));
    sodium_memzero(key, sizeof(key));
    s.ctx.c = c.rep != NULL ? &c : NULL;
    s.ctx.csrf = s.csrf;
    s.ctx.home = home;
    s.ctx.room = &c;

    /* Blocked before the server's thread starts, so that it inherits the mask and sigwait() gets
     * them. */
    /* Taken back from an inherited SIG_IGN (a background job of a shell), which would drop them. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    /*
     * The socket bound here, before the server's thread starts, so that the
     * address the requests are checked against is written before any
     * request is read (libmicrohttpd takes the socket and closes it).
     */
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 32) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &salen) != 0) {
        if (fd >= 0)
            close(fd);
        client_fail(_("cannot listen on 127.0.0.1 port %ld: is it in use? Try another --port, "
                      "or leave it out to take a free one"),
                    port);
        goto out;
    }
    snprintf(s.host, sizeof(s.host), "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    snprintf(s.origin, sizeof(s.origin), "http://%s", s.host);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, &s,
                         MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (d == NULL) {
        close(fd);
        client_fail(_("cannot start the web server on 127.0.0.1 port %u"),
                    (unsigned)ntohs(sa.sin_port));
        goto out;
    }

    char url[sizeof(s.host) + HEX_LEN + 32];
    snprintf(url, sizeof(url), "http://%s/?k=%s", s.host, s.secret);
    printf(_("cellsync ui: open %s in this computer's browser; stop with Ctrl-C\n"), url);
    fflush(stdout);
    if (ov[OPT_NO_BROWSER] == NULL)
        browser = open_browser(url);

    while (sigwait(&stop, &sig) != 0)
        ;
    ret = CS_EXIT_OK;
out:
    if (d != NULL)
        MHD_stop_daemon(d);
    /* No page can start a job now; one running is let finish, not cut under its thread. */
    if (d != NULL && wait_job(&stop) != 0) {
        if (c.rep != NULL)
            client_close(&c);
        fflush(NULL);
        _exit(CS_EXIT_FAILURE);
    }
    if (browser > 0)
        waitpid(browser, NULL, WNOHANG);
    sodium_memzero(&s, sizeof(s));
    if (c.rep != NULL)
        client_close(&c);
    return ret;
}
