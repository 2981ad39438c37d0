#include "pipeline/report/chart.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "pipeline/base/text.h"
#include "pipeline/report/internal/subprocess.h"

namespace sortline::report {
namespace {

// Paul Tol's "bright" scheme: distinct for colour-blind readers and in greyscale print.
constexpr const char* kPalette[] = {"#4477AA", "#EE6677", "#228833", "#CCBB44",
                                    "#66CCEE", "#AA3377", "#BBBBBB"};
constexpr const char* kLineColour = "#CC3311";
constexpr int kManyCategories = 12;  // beyond this, category labels stand vertically

const char* Colour(int i) {
  return kPalette[static_cast<size_t>(i) % (sizeof kPalette / sizeof kPalette[0])];
}

// A single-quoted gnuplot string, where nothing is interpreted (no backslash escapes, no
// `command` or @macro substitution). gnuplot's own escape for a quote inside one ('')
// fails at the start of a string in 5.4, so a quote is drawn as the typographic
// apostrophe ’ instead; control characters become spaces.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\'') {
      out += "\u2019";
    } else if (u < 0x20 || u == 0x7f) {
      out += ' ';
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

bool ValidId(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

v1::ChartKind KindOf(const v1::Chart& chart) {
  return chart.kind() == v1::CHART_KIND_UNSPECIFIED ? v1::CHART_KIND_LINES : chart.kind();
}

bool HasData(const v1::Chart& chart) {
  for (const v1::ChartSeries& s : chart.series()) {
    for (double y : s.y()) {
      if (!std::isnan(y)) return true;
    }
  }
  return false;
}

bool UsesSecondaryAxis(const v1::Chart& chart) {
  return std::any_of(chart.series().begin(), chart.series().end(),
                     [](const v1::ChartSeries& s) { return s.secondary_axis(); }) ||
         std::any_of(chart.lines().begin(), chart.lines().end(),
                     [](const v1::ChartLine& l) { return l.secondary_axis(); });
}

// The smallest positive y, for the floor of a logarithmic axis; 1 when there is none.
double SmallestPositive(const v1::Chart& chart) {
  double least = std::numeric_limits<double>::infinity();
  for (const v1::ChartSeries& s : chart.series()) {
    for (double y : s.y()) {
      if (y > 0) least = std::min(least, y);
    }
  }
  for (const v1::ChartLine& l : chart.lines()) {
    if (l.value() > 0) least = std::min(least, l.value());
  }
  return std::isfinite(least) ? least : 1;
}

// Roughly how many average Latin characters wide `s` is drawn: CJK counts double.
int DisplayWidth(const std::string& s) {
  int width = 0;
  for (size_t i = 0; i < s.size();) {
    const Utf8Char c = DecodeUtf8(s, i);
    width += c.valid && c.code_point >= 0x800 ? 2 : 1;  // from U+0800 on: CJK and beyond
    i += c.length;
  }
  return width;
}

int WidestCategory(const v1::Chart& chart) {
  int widest = 0;
  for (const std::string& c : chart.categories()) widest = std::max(widest, DisplayWidth(c));
  return widest;
}

// Category labels side by side need this many pixels (about 7 a character at 11 pt).
bool CategoriesCrowd(const v1::Chart& chart, int width) {
  int total = 0;
  for (const std::string& c : chart.categories()) total += DisplayWidth(c) * 7 + 12;
  return chart.categories_size() > kManyCategories || total > width - 120;
}

std::pair<int, int> Size(const v1::Chart& chart, const PlotterOptions& options) {
  const int categories = chart.categories_size();
  const int series = std::max(1, chart.series_size());
  switch (KindOf(chart)) {
    case v1::CHART_KIND_BARS: {
      const int width = std::max(options.width, 100 + categories * std::max(14, 8 * series));
      const int labels =
          CategoriesCrowd(chart, width) ? std::min(7 * WidestCategory(chart), 300) : 0;
      return {width, options.height + labels};
    }
    case v1::CHART_KIND_RANKED_BARS:
      // Long labels take the left margin: widen rather than squeeze the bars.
      return {std::min(1100, options.width + 7 * std::max(0, WidestCategory(chart) - 14)),
              std::max(options.height, 80 + categories * std::max(18, 10 * series))};
    default:
      return {options.width, options.height};
  }
}

std::string Style(v1::SeriesStyle style) {
  switch (style) {
    case v1::SERIES_STYLE_STEPS:
      return "steps lw 2";
    case v1::SERIES_STYLE_POINTS:
      return "points pt 7 ps 0.5";
    default:
      return "lines lw 2";
  }
}

// Category tics: ('a' 0, 'b' 1, ...).
std::string CategoryTics(const v1::Chart& chart) {
  std::string tics = "(";
  for (int i = 0; i < chart.categories_size(); ++i) {
    if (i > 0) tics += ", ";
    tics += Quote(chart.categories(i)) + " " + std::to_string(i);
  }
  return tics + ")";
}

// Where series `s` of `n` sits within its category's band of width 0.8.
double Offset(int s, int n) { return (s - (n - 1) / 2.0) * (0.8 / n); }

}  // namespace

Status ValidateChart(const v1::Chart& chart) {
  if (!ValidId(chart.id())) {
    return InvalidArgument("chart id '" + chart.id() + "' is not [a-z0-9-]+");
  }
  const bool bars = KindOf(chart) != v1::CHART_KIND_LINES;
  for (const v1::ChartSeries& s : chart.series()) {
    const std::string where = "chart " + chart.id() + ", series '" + s.name() + "'";
    if (bars && s.y_size() != chart.categories_size()) {
      return InvalidArgument(where + ": " + std::to_string(s.y_size()) + " values for " +
                             std::to_string(chart.categories_size()) + " categories");
    }
    if (!bars && s.x_size() != s.y_size()) {
      return InvalidArgument(where + ": " + std::to_string(s.x_size()) + " x for " +
                             std::to_string(s.y_size()) + " y");
    }
    for (double v : s.y()) {
      if (std::isinf(v)) return InvalidArgument(where + ": an infinite value");
    }
    for (double v : s.x()) {
      if (!std::isfinite(v)) return InvalidArgument(where + ": an x that is not finite");
    }
  }
  for (const v1::ChartLine& l : chart.lines()) {
    if (!std::isfinite(l.value())) {
      return InvalidArgument("chart " + chart.id() + ", line '" + l.label() + "' is not finite");
    }
  }
  return Status::Ok();
}

std::string GnuplotScript(const v1::Chart& chart, const PlotterOptions& options) {
  const v1::ChartKind kind = KindOf(chart);
  const auto [width, height] = Size(chart, options);
  std::string gp;
  gp += "set encoding utf8\n";
  gp += "set terminal svg size " + std::to_string(width) + "," + std::to_string(height) +
        " dynamic noenhanced font 'sans,11' background rgb 'white'\n";
  gp += "set style fill solid 0.85 border rgb '#333333'\n";
  gp += "set tics nomirror\nset border 3 lc rgb '#555555'\n";
  gp += "set key above\n";

  if (!HasData(chart)) {
    gp += "unset key\nunset tics\nset border 0\n";
    gp += "set label 'no data' at graph 0.5, graph 0.5 center font 'sans,14'\n";
    gp += "plot [0:1][0:1] NaN notitle\n";
    return gp;
  }

  const bool y2 = UsesSecondaryAxis(chart);
  if (kind == v1::CHART_KIND_RANKED_BARS) {
    if (!chart.y_label().empty()) gp += "set xlabel " + Quote(chart.y_label()) + "\n";
    if (!chart.x_label().empty()) gp += "set ylabel " + Quote(chart.x_label()) + "\n";
  } else {
    if (!chart.x_label().empty()) gp += "set xlabel " + Quote(chart.x_label()) + "\n";
    if (!chart.y_label().empty()) gp += "set ylabel " + Quote(chart.y_label()) + "\n";
  }
  if (y2) {
    gp += "set y2tics\nset border 11 lc rgb '#555555'\n";
    if (!chart.y2_label().empty()) gp += "set y2label " + Quote(chart.y2_label()) + "\n";
  }

  const int n = chart.series_size();
  // The data, one inline datablock per series: numbers only, names go in the script.
  for (int s = 0; s < n; ++s) {
    const v1::ChartSeries& series = chart.series(s);
    gp += "$S" + std::to_string(s) + " << EOD\n";
    for (int i = 0; i < series.y_size(); ++i) {
      if (kind == v1::CHART_KIND_LINES) {
        gp += Number(series.x(i)) + " " + Number(series.y(i)) + "\n";
      } else {
        gp += Number(i + Offset(s, n)) + " " + Number(series.y(i)) + "\n";
      }
    }
    gp += "EOD\n";
  }

  const double log_floor =
      chart.log_y() ? std::pow(10.0, std::floor(std::log10(SmallestPositive(chart)))) : 0;
  std::string plot;
  auto add = [&plot](const std::string& item) { plot += (plot.empty() ? "plot " : ", ") + item; };
  const std::string bar_width = Number(0.8 / std::max(1, n));
  const std::string last = std::to_string(std::max(0, chart.categories_size() - 1));
  switch (kind) {
    case v1::CHART_KIND_BARS:
      gp += "set grid ytics lc rgb '#dddddd'\n";
      gp += "set xtics " + CategoryTics(chart) + "\n";
      if (CategoriesCrowd(chart, width)) gp += "set xtics rotate by 90 right\n";
      gp += "set xrange [-0.6:" + last + ".6]\n";
      gp += "set boxwidth " + bar_width + " absolute\n";
      for (int s = 0; s < n; ++s) {
        add("$S" + std::to_string(s) + " using 1:2 with boxes lc rgb '" + Colour(s) + "' title " +
            Quote(chart.series(s).name()) + (chart.series(s).secondary_axis() ? " axes x1y2" : ""));
      }
      break;
    case v1::CHART_KIND_RANKED_BARS:
      gp += "set grid xtics lc rgb '#dddddd'\n";
      gp += "set ytics " + CategoryTics(chart) + "\n";
      gp += "set yrange [" + last + ".6:-0.6]\n";
      gp += "set xrange [0:*]\n";
      for (int s = 0; s < n; ++s) {
        const std::string half = Number(0.4 / n);
        add("$S" + std::to_string(s) + " using 2:1:(" + Number(log_floor) + "):2:($1-" + half +
            "):($1+" + half + ") with boxxyerror lc rgb '" + Colour(s) + "' title " +
            Quote(chart.series(s).name()));
      }
      break;
    default:
      gp += "set grid xtics ytics lc rgb '#dddddd'\n";
      for (int s = 0; s < n; ++s) {
        add("$S" + std::to_string(s) + " using 1:2 with " + Style(chart.series(s).style()) +
            " lc rgb '" + Colour(s) + "' title " + Quote(chart.series(s).name()) +
            (chart.series(s).secondary_axis() ? " axes x1y2" : ""));
      }
      break;
  }
  if (chart.log_y()) {
    const std::string floor = Number(log_floor);
    // Decades as 1, 10, 100, 1k, 10k ... (SI prefixes) rather than 1e+06; below 1 plain
    // decimals (0.1, not 100m).
    const std::string format = log_floor >= 1 ? "'%.0s%c'" : "'%g'";
    if (kind == v1::CHART_KIND_RANKED_BARS) {
      gp += "set logscale x\nset xrange [" + floor + ":*]\nset format x " + format + "\n";
    } else {
      gp += "set logscale y\nset yrange [" + floor + ":*]\nset format y " + format + "\n";
    }
  } else if (kind != v1::CHART_KIND_RANKED_BARS) {
    gp += "set yrange [0:*]\n";
  }
  if (y2) gp += "set y2range [0:*]\n";

  for (const v1::ChartLine& line : chart.lines()) {
    if (kind == v1::CHART_KIND_RANKED_BARS) {
      gp += "set arrow from first " + Number(line.value()) + ", graph 0 to first " +
            Number(line.value()) + ", graph 1 nohead dt 2 lw 1.5 lc rgb '" + kLineColour + "'\n";
      gp += "set label " + Quote(line.label()) + " at first " + Number(line.value()) +
            ", graph 1 offset 0.5,-1 textcolor rgb '" + kLineColour + "'\n";
    } else {
      add(Number(line.value()) + " with lines dt 2 lw 1.5 lc rgb '" + kLineColour + "' title " +
          Quote(line.label()) + (line.secondary_axis() ? " axes x1y2" : ""));
    }
  }
  if (n <= 1 && chart.lines_size() == 0) gp += "unset key\n";
  return gp + plot + "\n";
}

namespace {

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

// Removes every element `<tag>...</tag>` (gnuplot's <title>Gnuplot</title> and the
// like, which browsers show as tooltips).
void RemoveElements(std::string& svg, const std::string& tag) {
  const std::string open = "<" + tag + ">";
  const std::string close = "</" + tag + ">";
  for (size_t at = svg.find(open); at != std::string::npos; at = svg.find(open, at)) {
    const size_t end = svg.find(close, at);
    if (end == std::string::npos) break;
    svg.erase(at, end + close.size() - at);
  }
}

class GnuplotPlotter : public Plotter {
 public:
  explicit GnuplotPlotter(const PlotterOptions& options) : options_(options) {}

  Result<std::string> Svg(const v1::Chart& chart) override {
    SORTLINE_RETURN_IF_ERROR(ValidateChart(chart));
    SORTLINE_ASSIGN_OR_RETURN(
        internal::ProgramOutput run,
        internal::RunProgram({options_.gnuplot}, GnuplotScript(chart, options_), options_.timeout));
    const size_t start = run.out.find("<svg");
    const size_t end = run.out.rfind("</svg>");
    if (run.exit_code != 0 || start == std::string::npos || end == std::string::npos) {
      return Internal("gnuplot could not draw chart " + chart.id() + " (exit " +
                      std::to_string(run.exit_code) + "): " + run.err);
    }
    std::string svg = run.out.substr(start, end + 6 - start);
    RemoveElements(svg, "title");
    RemoveElements(svg, "desc");
    const std::string prefix = chart.id() + "-";
    ReplaceAll(svg, "id='", "id='" + prefix);
    ReplaceAll(svg, "id=\"", "id=\"" + prefix);
    ReplaceAll(svg, "href='#", "href='#" + prefix);
    ReplaceAll(svg, "href=\"#", "href=\"#" + prefix);
    ReplaceAll(svg, "url(#", "url(#" + prefix);
    return svg;
  }

 private:
  PlotterOptions options_;
};

}  // namespace

Result<std::unique_ptr<Plotter>> Plotter::Open(const PlotterOptions& options) {
  Result<internal::ProgramOutput> version =
      internal::RunProgram({options.gnuplot, "--version"}, "", options.timeout);
  if (!version.ok() || version->exit_code != 0) {
    return NotFound("cannot run " + options.gnuplot +
                    " to draw the charts: install Debian's gnuplot-nox "
                    "(bash deploy/setup-debian12.sh)");
  }
  return std::unique_ptr<Plotter>(new GnuplotPlotter(options));
}

}  // namespace sortline::report
