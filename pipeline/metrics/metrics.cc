#include "pipeline/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "pipeline/base/text.h"

namespace sortline::metrics {
namespace {

constexpr size_t kMaxLabelValueCodePoints = 128;

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.17g", v);
  return buffer;
}

// Label values may come from outside (chute names from a plan, scanner ids): they are
// echoed first (valid UTF-8, no control characters, shortened; pipeline/base/text.h),
// then the exposition format's backslash, double quote and newline are escaped.
std::string Escape(const std::string& raw) {
  const std::string value = Echo(raw, kMaxLabelValueCodePoints);
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string LabelText(const Labels& labels, const std::string& extra_name = "",
                      const std::string& extra_value = "") {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name + "=\"" + Escape(value) + "\"";
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name + "=\"" + Escape(extra_value) + "\"";
  }
  return out + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t bucket = static_cast<size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  snapshot.counts.resize(upper_bounds_.size() + 1);
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    snapshot.counts[i] = counts_[i].load(std::memory_order_relaxed);
    snapshot.count += snapshot.counts[i];
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

double Histogram::Snapshot::Quantile(double q) const {
  if (count == 0) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(count);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (static_cast<double>(seen) >= rank && seen > 0) {
      if (i < upper_bounds.size()) return upper_bounds[i];
      return upper_bounds.empty() ? 0 : upper_bounds.back();
    }
  }
  return upper_bounds.empty() ? 0 : upper_bounds.back();
}

Histogram::Snapshot Histogram::Snapshot::Since(const Snapshot& earlier) const {
  Snapshot delta = *this;
  if (earlier.counts.size() != counts.size()) return delta;
  delta.count = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    delta.counts[i] = counts[i] - std::min(counts[i], earlier.counts[i]);
    delta.count += delta.counts[i];
  }
  delta.sum = sum - earlier.sum;
  return delta;
}

std::vector<double> Histogram::ExponentialBounds(double first, double factor, int count) {
  std::vector<double> bounds;
  double bound = first;
  for (int i = 0; i < count; ++i) {
    bounds.push_back(bound);
    bound *= factor;
  }
  return bounds;
}

Registry::Series& Registry::Find(const std::string& name, const std::string& help, Type type,
                                 const Labels& labels) {
  Family* family = nullptr;
  for (auto& f : families_) {
    if (f->name == name) family = f.get();
  }
  if (family == nullptr) {
    families_.push_back(std::make_unique<Family>(Family{name, help, type, {}}));
    family = families_.back().get();
  }
  for (auto& series : family->series) {
    if (series->labels == labels) return *series;
  }
  family->series.push_back(std::make_unique<Series>());
  family->series.back()->labels = labels;
  return *family->series.back();
}

Counter& Registry::GetCounter(const std::string& name, const std::string& help,
                              const Labels& labels) {
  MutexLock lock(mu_);
  Series& series = Find(name, help, Type::kCounter, labels);
  if (!series.counter) series.counter = std::make_unique<Counter>();
  return *series.counter;
}

Gauge& Registry::GetGauge(const std::string& name, const std::string& help, const Labels& labels) {
  MutexLock lock(mu_);
  Series& series = Find(name, help, Type::kGauge, labels);
  if (!series.gauge) series.gauge = std::make_unique<Gauge>();
  return *series.gauge;
}

Histogram& Registry::GetHistogram(const std::string& name, const std::string& help,
                                  std::vector<double> upper_bounds, const Labels& labels) {
  MutexLock lock(mu_);
  Series& series = Find(name, help, Type::kHistogram, labels);
  if (!series.histogram) series.histogram = std::make_unique<Histogram>(std::move(upper_bounds));
  return *series.histogram;
}

void Registry::Remove(const std::string& name, const Labels& labels) {
  MutexLock lock(mu_);
  for (auto& family : families_) {
    if (family->name != name) continue;
    std::erase_if(family->series,
                  [&](const std::unique_ptr<Series>& series) { return series->labels == labels; });
  }
}

std::string Registry::Render() const {
  MutexLock lock(mu_);
  std::string out;
  for (const auto& family : families_) {
    const char* type = family->type == Type::kCounter ? "counter"
                       : family->type == Type::kGauge ? "gauge"
                                                      : "histogram";
    out += "# HELP " + family->name + " " + family->help + "\n";
    out += "# TYPE " + family->name + " " + type + "\n";
    for (const auto& series : family->series) {
      if (series->counter) {
        out += family->name + LabelText(series->labels) + " " +
               std::to_string(series->counter->value()) + "\n";
      } else if (series->gauge) {
        out += family->name + LabelText(series->labels) + " " +
               FormatValue(series->gauge->value()) + "\n";
      } else if (series->histogram) {
        Histogram::Snapshot s = series->histogram->Read();
        uint64_t cumulative = 0;
        for (size_t i = 0; i < s.counts.size(); ++i) {
          cumulative += s.counts[i];
          std::string le = i < s.upper_bounds.size() ? FormatValue(s.upper_bounds[i]) : "+Inf";
          out += family->name + "_bucket" + LabelText(series->labels, "le", le) + " " +
                 std::to_string(cumulative) + "\n";
        }
        out += family->name + "_sum" + LabelText(series->labels) + " " + FormatValue(s.sum) + "\n";
        out += family->name + "_count" + LabelText(series->labels) + " " + std::to_string(s.count) +
               "\n";
      }
    }
  }
  return out;
}

}  // namespace sortline::metrics
