#include "pipeline/report/html.h"

#include <cctype>
#include <cstdlib>
#include <set>
#include <utility>

#include "pipeline/report/internal/base64.h"
#include "pipeline/report/internal/escape.h"

namespace sortline::report {
namespace {

using internal::EscapeHtml;

constexpr char kStyle[] = R"(
:root { --ink: #1d2330; --muted: #5b6475; --rule: #d9dde5; --accent: #4477aa; --bad: #cc3311; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, "Noto Sans", "WenQuanYi Micro Hei", sans-serif;
       color: var(--ink); background: #f6f7f9; }
header { background: #1d2330; color: #fff; padding: 20px 32px; }
header h1 { margin: 0; font-size: 24px; }
header p { margin: 4px 0 0; color: #c5ccd8; }
nav { padding: 8px 32px; background: #fff; border-bottom: 1px solid var(--rule); font-size: 14px; }
nav a { color: var(--accent); margin-right: 16px; text-decoration: none; }
main { max-width: 1120px; margin: 0 auto; padding: 8px 32px 48px; }
section { background: #fff; border: 1px solid var(--rule); border-radius: 6px; margin: 20px 0;
          padding: 4px 24px 20px; }
h2 { font-size: 19px; margin: 16px 0 8px; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 12px;
           margin: 12px 0; }
.figure { border: 1px solid var(--rule); border-radius: 6px; padding: 10px 12px; }
.figure .label { color: var(--muted); font-size: 13px; }
.figure .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums;
                 overflow-wrap: anywhere; }
.figure .value.long { font-size: 16px; }
.figure .detail { color: var(--muted); font-size: 12px; }
figure { margin: 16px 0; }
figcaption { color: var(--muted); font-size: 13px; margin-bottom: 6px; }
figcaption b { color: var(--ink); font-size: 15px; display: block; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr));
          gap: 0 28px; }
.charts figure.wide { grid-column: 1 / -1; }
.chart-body { overflow-x: auto; }
.chart-body svg { display: block; width: 100%; height: auto; }
.samples { display: flex; flex-wrap: wrap; gap: 16px; }
.samples figure { margin: 0; }
.samples img { border: 1px solid var(--rule); display: block; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0; }
caption { text-align: left; color: var(--muted); padding: 4px 0; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef0f4; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td { word-break: break-word; }
.filter { margin: 8px 0; }
.filter input { font: inherit; padding: 4px 8px; width: 320px; max-width: 100%; }
.filter span { color: var(--muted); margin-left: 8px; font-size: 13px; }
.table-wrap { max-height: 560px; overflow: auto; border: 1px solid var(--rule); }
)";

constexpr char kScript[] = R"(
(function () {
  function filterTable(input) {
    var table = document.getElementById(input.getAttribute('data-table'));
    var count = document.getElementById(input.getAttribute('data-count'));
    var query = input.value.trim().toLowerCase();
    var rows = table.tBodies[0].rows, shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var match = query === '' || rows[i].textContent.toLowerCase().indexOf(query) >= 0;
      rows[i].hidden = !match;
      if (match) shown++;
    }
    count.textContent = shown + ' of ' + rows.length + ' rows';
  }
  document.querySelectorAll('.filter input').forEach(function (input) {
    input.addEventListener('input', function () { filterTable(input); });
    filterTable(input);
  });
  function boxes() {
    var out = [];
    document.querySelectorAll('[data-box]').forEach(function (e) {
      var r = e.getBoundingClientRect();
      out.push({id: e.getAttribute('data-box'), x: Math.round(r.left + window.scrollX),
                y: Math.round(r.top + window.scrollY), w: Math.round(r.width),
                h: Math.round(r.height)});
    });
    document.body.setAttribute('data-boxes', JSON.stringify(out));
    document.body.setAttribute('data-height', String(document.documentElement.scrollHeight));
    document.body.setAttribute('data-ready', '1');
  }
  if (document.readyState === 'complete') boxes(); else window.addEventListener('load', boxes);
})();
)";

constexpr int kNarrowChart = 700;  // px; PlotterOptions::width is 640 by default
constexpr int kShortChart = 480;   // px; PlotterOptions::height is 360

bool LooksNumeric(const std::string& cell) {
  size_t i = cell.size() > 1 && (cell[0] == '-' || cell[0] == '+') ? 1 : 0;
  return i < cell.size() && std::isdigit(static_cast<unsigned char>(cell[i]));
}

// The natural size of gnuplot's SVG, from its viewBox "0 0 W H"; 0 when not found.
std::pair<int, int> SvgSize(const std::string& svg) {
  const size_t at = svg.find("viewBox=\"0 0 ");
  if (at == std::string::npos) return {0, 0};
  char* end = nullptr;
  const long w = std::strtol(svg.c_str() + at + 13, &end, 10);
  const long h = std::strtol(end, nullptr, 10);
  return {static_cast<int>(w), static_cast<int>(h)};
}

void AppendFigures(const v1::ReportSection& section, std::string& html) {
  if (section.figures().empty()) return;
  html += "<div class=\"figures\">\n";
  for (const v1::Figure& f : section.figures()) {
    html += "<div class=\"figure\" data-figure=\"" + EscapeHtml(f.id()) +
            "\"><div class=\"label\">" + EscapeHtml(f.label()) + "</div><div class=\"value" +
            (f.value().size() > 12 ? " long" : "") + "\">" + EscapeHtml(f.value()) + "</div>";
    if (!f.detail().empty()) html += "<div class=\"detail\">" + EscapeHtml(f.detail()) + "</div>";
    html += "</div>\n";
  }
  html += "</div>\n";
}

Status AppendCharts(const v1::ReportSection& section, Plotter& plotter, std::set<std::string>& ids,
                    std::string& html) {
  if (section.charts().empty()) return Status::Ok();
  html += "<div class=\"charts\">\n";
  for (const v1::Chart& chart : section.charts()) {
    if (!ids.insert("chart-" + chart.id()).second) {
      return InvalidArgument("two charts have the id " + chart.id());
    }
    SORTLINE_ASSIGN_OR_RETURN(std::string svg, plotter.Svg(chart));
    // A chart wider or taller than gnuplot's default (many categories, long labels)
    // takes a whole row, and scrolls sideways rather than shrinking its labels below
    // legibility.
    const auto [width, height] = SvgSize(svg);
    const bool wide = width > kNarrowChart || height > kShortChart;
    html += std::string("<figure class=\"chart") + (wide ? " wide" : "") + "\" id=\"chart-" +
            EscapeHtml(chart.id()) + "\"><figcaption><b>" + EscapeHtml(chart.title()) + "</b>" +
            EscapeHtml(chart.caption()) +
            "</figcaption>\n<div class=\"chart-body\"><div data-box=\"chart-" +
            EscapeHtml(chart.id()) + "\"" +
            (wide ? " style=\"min-width:" + std::to_string(width * 3 / 4) + "px\"" : "") + ">" +
            svg + "</div></div></figure>\n";
  }
  html += "</div>\n";
  return Status::Ok();
}

void AppendImages(const v1::ReportSection& section, std::string& html) {
  if (section.images().empty()) return;
  html += "<div class=\"samples\">\n";
  int n = 0;
  for (const v1::ReportImage& image : section.images()) {
    html += "<figure><img data-box=\"image-" + EscapeHtml(section.id()) + "-" +
            std::to_string(n++) + "\" alt=\"" + EscapeHtml(image.alt()) +
            "\" src=\"data:image/png;base64," + internal::Base64(image.png()) + "\"><figcaption>" +
            EscapeHtml(image.caption()) + "</figcaption></figure>\n";
  }
  html += "</div>\n";
}

void AppendTables(const v1::ReportSection& section, std::string& html) {
  int n = 0;
  for (const v1::ReportTable& table : section.tables()) {
    const std::string id = "table-" + EscapeHtml(section.id()) + "-" + std::to_string(n++);
    if (table.searchable()) {
      html +=
          "<div class=\"filter\"><input type=\"search\" placeholder=\"Search this table\" "
          "aria-label=\"Search this table\" data-table=\"" +
          id + "\" data-count=\"" + id + "-count\"><span id=\"" + id + "-count\"></span></div>\n";
    }
    html += "<div class=\"table-wrap\"><table id=\"" + id + "\">";
    if (!table.caption().empty()) html += "<caption>" + EscapeHtml(table.caption()) + "</caption>";
    html += "<thead><tr>";
    for (const std::string& h : table.header()) html += "<th>" + EscapeHtml(h) + "</th>";
    html += "</tr></thead>\n<tbody>\n";
    for (const v1::TableRow& row : table.rows()) {
      html += "<tr>";
      for (const std::string& cell : row.cells()) {
        html += LooksNumeric(cell) ? "<td class=\"num\">" : "<td>";
        html += EscapeHtml(cell) + "</td>";
      }
      html += "</tr>\n";
    }
    html += "</tbody></table></div>\n";
  }
}

}  // namespace

Result<std::string> RenderHtml(const v1::ReportPage& page, Plotter& plotter) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      EscapeHtml(page.title()) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  html += "<header><h1>" + EscapeHtml(page.title()) + "</h1>";
  if (!page.subtitle().empty()) html += "<p>" + EscapeHtml(page.subtitle()) + "</p>";
  html += "</header>\n<nav>";
  for (const v1::ReportSection& section : page.sections()) {
    html += "<a href=\"#" + EscapeHtml(section.id()) + "\">" + EscapeHtml(section.title()) + "</a>";
  }
  html += "</nav>\n<main>\n";
  std::set<std::string> ids;
  for (const v1::ReportSection& section : page.sections()) {
    if (!ids.insert(section.id()).second) {
      return InvalidArgument("two sections have the id " + section.id());
    }
    html += "<section id=\"" + EscapeHtml(section.id()) + "\">\n<h2>" +
            EscapeHtml(section.title()) + "</h2>\n";
    for (const std::string& p : section.paragraphs()) html += "<p>" + EscapeHtml(p) + "</p>\n";
    AppendFigures(section, html);
    SORTLINE_RETURN_IF_ERROR(AppendCharts(section, plotter, ids, html));
    AppendImages(section, html);
    AppendTables(section, html);
    html += "</section>\n";
  }
  html += "</main>\n<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace sortline::report
