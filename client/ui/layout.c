/* SPDX-License-Identifier: MIT */
/*
 * The layout every page of `cellsync ui` shares (ui.h): the style sheet and
 * script in the binary, the document's head and navigation, paragraphs,
 * counts and the error line.
 */
#include <string.h>

#include "cellsync/i18n.h"
#include "client.h"
#include "ui.h"

/* Kept small; sizes in px so that every link and button is at least 44 px high. */
const char ui_style_css[] =
    "body{font-family:sans-serif;margin:0;color:#222;background:#fafafa;font-size:18px}"
    "nav{display:flex;flex-wrap:wrap;background:#8b0000}"
    "nav a{color:#fff;text-decoration:none;padding:0 16px;min-height:44px;line-height:44px}"
    "nav a.on{background:#b22222;font-weight:bold}"
    "main{padding:8px 16px;max-width:1100px}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:8px;border-bottom:1px solid #ddd}"
    "dl.nums{display:grid;grid-template-columns:max-content auto;gap:8px 24px}"
    "dl.nums dd{margin:0;font-weight:bold}"
    /*
     * A phone: each label above its value; table cells wrap between words
     * only (a date never breaks inside), a long name anywhere; nothing wider
     * than the screen.
     */
    "@media (max-width:600px){dl.nums{grid-template-columns:1fr;gap:0}"
    "dl.nums dd{margin-bottom:12px}"
    "th,td{padding:6px 4px}td a.name{overflow-wrap:anywhere}"
    /* The lists as cards: the name on its line, then each cell after its label. */
    "#list thead{display:none}#list tr{display:block;padding:8px 0;border-bottom:1px solid #ddd}"
    "#list td{display:block;border:0;padding:2px 4px}"
    "#list td a.name{font-size:20px;overflow-wrap:break-word}"
    "#list td[data-label]::before{content:attr(data-label) \": \";color:#666}}"
    "input,button,select,textarea{font-size:18px;min-height:44px;padding:0 12px;"
    "box-sizing:border-box}"
    "textarea{padding:8px 12px;width:100%;font-family:inherit}"
    "p.field label{display:block;font-weight:bold;margin-bottom:4px}"
    "p.field input[type=text],p.field select{width:100%;max-width:32em}"
    /* A label too long for the line wraps inside its button, which stays 44 px or more. */
    "button,a.button{display:inline-block;background:#8b0000;color:#fff;border:0;"
    "border-radius:4px;padding:11px 20px;line-height:1.3;text-decoration:none;cursor:pointer;"
    "margin:4px 8px 4px 0}"
    "a.button{background:#666;box-sizing:border-box}"
    /* A record's page: the next step stands out, the delete does not invite. */
    "a.button#advance{background:#8b0000}"
    "a.button#delete{background:#fff;color:#b00;border:2px solid #b00;padding:9px 18px}"
    "progress{accent-color:#8b0000}"
    "input.pick{display:block;width:100%;max-width:32em;margin-bottom:4px}"
    "#timeline li{padding:4px 0}"
    "#timeline li.done{color:#1d5e1d}"
    "#timeline li.done>.stage::after{content:\" \\2713\"}"
    "#timeline li.next{font-weight:bold;background:#fff3cd;border-left:6px solid #f0a000;"
    "padding:8px 12px}"
    "#timeline li.next ul{font-weight:normal}"
    "#timeline li.todo{color:#777}"
    "button:focus,a:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f0a000}"
    "p.error{background:#fde8e8;border-left:6px solid #b00;padding:8px 12px}"
    "p.ok{background:#e8f5e8;border-left:6px solid #080;padding:8px 12px}"
    "span.refused{color:#b00;font-weight:bold}"
    "p.refused{background:#fde8e8;border-left:6px solid #b00;padding:8px 12px}"
    "a{min-height:44px}"
    /* A record's fields, and the meeting form's checklist (member.c, meeting.c). */
    "dl.fields{display:grid;grid-template-columns:max-content auto;gap:8px 24px}"
    "dl.fields dd{margin:0}.text{white-space:pre-wrap}"
    "fieldset{border:1px solid #ccc;margin:16px 0;padding:8px 16px}legend{font-weight:bold}"
    "ul.roll{list-style:none;padding:0}ul.roll li{display:flex;flex-wrap:wrap;gap:8px 24px;"
    "align-items:center;padding:4px 0;border-bottom:1px solid #eee}"
    "label.check{min-height:44px;display:flex;align-items:center;gap:8px;min-width:16em}"
    "input[type=checkbox]{width:24px;height:24px;min-height:0}"
    "@media (max-width:600px){dl.fields{grid-template-columns:1fr}}"
    /* Conflicts: the two values side by side, one above the other on a phone. */
    "section.conflict{border-top:2px solid #ddd;margin-top:16px}"
    ".sides{display:flex;flex-wrap:wrap;gap:16px}"
    ".side{flex:1 1 280px;background:#fff;border:1px solid #ccc;border-radius:4px;padding:0 16px "
    "16px}"
    ".side p.value{font-size:22px;font-weight:bold;overflow-wrap:anywhere}"
    "button.enter{position:absolute;left:-9999px}"
    /* Sync: the bar as wide as the page. */
    "progress{width:100%;height:28px}"
    "button[disabled]{background:#999;cursor:default}"
    "table.report{width:auto;min-width:50%;margin-bottom:16px}"
    "table.report caption{text-align:left;font-weight:bold;padding:8px 0}"
    "table.report td{text-align:right;font-weight:bold}"
    /* On paper: no navigation nor buttons, black on white, A4 with its margins. */
    "@page{size:A4;margin:15mm}"
    "@media print{nav,.noprint,button{display:none}"
    "body{background:#fff;color:#000;font-size:11pt}main{padding:0;max-width:none}"
    "a{color:#000;text-decoration:none}th,td{padding:2px 8px;border-color:#000}"
    "section{break-inside:avoid}}";

/*
 * The one script (the policy allows no other): while a sync or a stick runs
 * (the bar has data-busy), it asks /sync/status every second and moves the
 * bar and the state line; once the job is over it loads the page again,
 * which shows the result. Without it, reloading the page does the same.
 * And the report's print button shows only with it.
 */
const char ui_app_js[] =
    "\"use strict\";\n"
    "(function () {\n"
    "  var bar = document.getElementById(\"progress\");\n"
    "  var state = document.getElementById(\"sync-state\");\n"
    "  if (!bar || !state || !bar.hasAttribute(\"data-busy\") || !window.fetch) return;\n"
    "  function tick() {\n"
    "    fetch(\"/sync/status\", {credentials: \"same-origin\", cache: \"no-store\"})\n"
    "      .then(function (r) { return r.json(); })\n"
    "      .then(function (s) {\n"
    "        if (!s.busy) { window.location.replace(\"/sync\"); return; }\n"
    "        state.textContent = s.state;\n"
    "        if (s.max > 0) { bar.max = s.max; bar.value = s.value; }\n"
    "        else bar.removeAttribute(\"value\");\n"
    "        setTimeout(tick, 1000);\n"
    "      })\n"
    "      .catch(function () { setTimeout(tick, 3000); });\n"
    "  }\n"
    "  setTimeout(tick, 500);\n"
    "})();\n"
    /* A list of people narrowed to the words typed, tone marks or not ("nguyen van"). */
    "(function () {\n"
    "  function fold(t) {\n"
    "    return t.toLowerCase().normalize(\"NFD\").replace(/[\\u0300-\\u036f]/g, \"\")\n"
    "      .replace(/\\u0111/g, \"d\");\n"
    "  }\n"
    "  document.querySelectorAll(\"select[data-filter]\").forEach(function (s) {\n"
    "    var box = document.createElement(\"input\");\n"
    "    box.type = \"search\";\n"
    "    box.className = \"pick\";\n"
    "    box.placeholder = s.getAttribute(\"data-filter\");\n"
    "    box.setAttribute(\"aria-label\", s.getAttribute(\"data-filter\"));\n"
    "    s.parentNode.insertBefore(box, s);\n"
    "    box.addEventListener(\"input\", function () {\n"
    "      var words = fold(box.value).split(/\\s+/).filter(Boolean), first = null;\n"
    "      Array.prototype.forEach.call(s.options, function (o) {\n"
    "        var t = fold(o.text);\n"
    "        var show = !o.value || words.every(function (w) { return t.indexOf(w) >= 0; });\n"
    "        o.hidden = !show;\n"
    "        if (show && o.value && !first) first = o;\n"
    "      });\n"
    "      if (first && s.selectedOptions.length && s.selectedOptions[0].hidden) first.selected = "
    "true;\n"
    "      if (first && !s.value) first.selected = true;\n"
    "    });\n"
    "    box.addEventListener(\"keydown\", function (e) {\n"
    "      if (e.key === \"Enter\") { e.preventDefault(); s.focus(); }\n"
    "    });\n"
    "  });\n"
    "})();\n"
    "(function () {\n"
    "  var p = document.getElementById(\"print\");\n"
    "  if (!p) return;\n"
    "  p.hidden = false;\n"
    "  p.addEventListener(\"click\", function () { window.print(); });\n"
    "})();\n";

static const struct {
    const char *href, *label;
} nav[] = {
    {"/", N_("Home")},
    {"/candidates", N_("Candidates")},
    {"/members", N_("Members")},
    {"/meetings", N_("Meetings")},
    {"/conflicts", N_("Conflicts")},
    {"/sync", N_("Sync")},
    {"/report", N_("Report")},
};

void
ui_begin(struct ui_buf *b, const char *title, const char *here)
{
    /* TRANSLATORS: the language code of this translation, for the web pages' lang="..." */
    const char *lang = _("en");

    ui_raw(b, "<!DOCTYPE html>\n<html lang=\"");
    ui_text(b, lang);
    ui_raw(b, "\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width\">"
              "<link rel=\"stylesheet\" href=\"/style.css\">"
              "<script src=\"/app.js\" defer></script><title>");
    ui_text(b, title);
    ui_raw(b, " - cellsync</title></head>\n<body>");
    if (here != NULL) {
        ui_raw(b, "<nav>");
        for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++) {
            ui_raw(b, "<a href=\"");
            ui_raw(b, nav[i].href);
            ui_raw(b, strcmp(nav[i].href, here) == 0 ? "\" class=\"on\">" : "\">");
            ui_text(b, _(nav[i].label));
            ui_raw(b, "</a>");
        }
        ui_raw(b, "</nav>");
    }
    ui_raw(b, "\n<main><h1>");
    ui_text(b, title);
    ui_raw(b, "</h1>\n");
}

void
ui_end(struct ui_buf *b)
{
    ui_raw(b, "</main></body></html>\n");
}

void
ui_para(struct ui_buf *b, const char *text)
{
    ui_raw(b, "<p>");
    ui_text(b, text);
    ui_raw(b, "</p>\n");
}

void
ui_number(struct ui_buf *b, const char *label, long long v, const char *id)
{
    ui_raw(b, "<dt>");
    ui_text(b, label);
    ui_raw(b, "</dt><dd id=\"");
    ui_raw(b, id);
    ui_raw(b, "\">");
    ui_num(b, v);
    ui_raw(b, "</dd>\n");
}

/* One count (a query of one integer), binding this device and the hub's acknowledged seq. */
int
ui_count(struct client *c, const char *sql, long long *v)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;

    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_bind_parameter_count(st) >= 2) {
        sqlite3_bind_blob(st, 1, cs_replica_site(c->rep)->b, CS_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, client_hub_acked(c));
    }
    if (sqlite3_step(st) != SQLITE_ROW)
        goto out;
    *v = sqlite3_column_int64(st, 0);
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

void
ui_failed(struct ui_buf *b, struct client *c)
{
    ui_raw(b, "<p class=\"error\">");
    ui_text(b, _("cannot read the records:"));
    ui_raw(b, " ");
    ui_text(b, sqlite3_errmsg(c->db));
    ui_raw(b, "</p>\n");
}
