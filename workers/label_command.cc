// `sortline label preview ORDER.json`: sorts one order with the plan and writes its
// label, optionally as ZPL and as a PNG picture, for checking a template or an order.
// `sortline label get TRACKING...`: reprints, one single-page PDF per parcel from the
// label store. `sortline label index`: rebuilds the store's index from its files.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>

#include "pipeline/base/file.h"
#include "pipeline/base/hash.h"
#include "pipeline/label/label.h"
#include "pipeline/label/label_store.h"
#include "pipeline/model/orders.h"
#include "pipeline/model/s10.h"
#include "workers/commands.h"
#include "workers/common.h"

extern char** environ;

namespace sortline::cli {
namespace {

constexpr char kProgram[] = "sortline label";

struct GetOptions {
  std::vector<std::string> tracking_numbers;
  std::string labels_dir = "labels";
  std::string out_dir = ".";
};

struct IndexOptions {
  std::string labels_dir = "labels";
};

Result<std::unique_ptr<label::LabelStore>> OpenExistingStore(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return NotFound("no label store at " + dir + " (--labels)");
  }
  label::LabelStoreOptions options;
  options.durable = false;  // a reader; what it writes (index logs) is a cache
  return label::LabelStore::Open(dir, options);
}

// Writes "<out>/<tracking>.pdf" for each number. Exit 1 when some label is not in the
// store, 2 when the store or the output cannot be used.
int Get(const GetOptions& options) {
  Result<std::unique_ptr<label::LabelStore>> store = OpenExistingStore(options.labels_dir);
  if (!store.ok()) return Fatal(kProgram, store.status());
  Result<std::unique_ptr<Directory>> out = DefaultFileSystem().OpenDirectory(options.out_dir);
  if (!out.ok()) return Fatal(kProgram, out.status());
  int missing = 0;
  for (const std::string& tracking : options.tracking_numbers) {
    v1::LabelRef ref;
    Result<std::string> pdf = (*store)->Extract(tracking, &ref);
    if (!pdf.ok()) {
      if (pdf.status().code() != StatusCode::kNotFound &&
          pdf.status().code() != StatusCode::kInvalidArgument) {
        return Fatal(kProgram, pdf.status());
      }
      std::fprintf(stderr, "%s: %s\n", kProgram, pdf.status().ToString().c_str());
      ++missing;
      continue;
    }
    const std::string name = tracking + ".pdf";
    Status written = (*out)->WriteAtomically(name, *pdf, Durability::kNone);
    if (!written.ok()) return Fatal(kProgram, written);
    const std::string from =
        ref.page() == 0 ? ref.path() : ref.path() + " page " + std::to_string(ref.page());
    std::printf("label: %s (%zu bytes, from %s)\n",
                (std::filesystem::path(options.out_dir) / name).c_str(), pdf->size(), from.c_str());
  }
  return missing == 0 ? kExitOk : kExitOrdersFailed;
}

int Index(const IndexOptions& options) {
  Result<std::unique_ptr<label::LabelStore>> store = OpenExistingStore(options.labels_dir);
  if (!store.ok()) return Fatal(kProgram, store.status());
  Result<uint64_t> indexed = (*store)->RebuildIndex();
  if (!indexed.ok()) return Fatal(kProgram, indexed.status());
  std::printf("indexed %llu labels of the batch files in %s\n",
              static_cast<unsigned long long>(*indexed), options.labels_dir.c_str());
  return kExitOk;
}

struct PreviewOptions {
  std::string order_path;
  std::string out_dir = ".";
  std::string template_name = "100x150";
  bool png = false;
  int zpl_dpi = 0;  // 0: no ZPL
  std::string plan = kDefaultPlan;
  std::string divisions = kDefaultDivisions;
};

// The first non-blank line of `path`: a single order, or the first of a JSON-lines file.
Result<std::string> ReadFirstOrder(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read " + path);
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) return line;
  }
  return InvalidArgument(path + " holds no order");
}

// pdftoppm (poppler-utils) draws the picture; run without a shell, so no path is ever
// interpreted. Writes "<prefix>.png".
Status RasterizeToPng(const std::string& pdf_path, const std::string& prefix) {
  std::string args[] = {"pdftoppm", "-png", "-r", "203", "-singlefile", pdf_path, prefix};
  char* argv[] = {args[0].data(), args[1].data(), args[2].data(), args[3].data(),
                  args[4].data(), args[5].data(), args[6].data(), nullptr};
  pid_t pid = 0;
  if (::posix_spawnp(&pid, "pdftoppm", nullptr, nullptr, argv, environ) != 0) {
    return Unavailable("pdftoppm (poppler-utils) is needed for --png");
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Internal("pdftoppm could not draw " + pdf_path);
  }
  return Status::Ok();
}

int Preview(const PreviewOptions& options) {
  Result<std::string> json = ReadFirstOrder(options.order_path);
  if (!json.ok()) return Fatal(kProgram, json.status());
  Result<v1::Order> order = model::ParseOrderJson(*json);
  if (!order.ok()) return Fatal(kProgram, order.status().WithContext(options.order_path));
  Result<std::unique_ptr<model::DivisionTable>> divisions = LoadDivisions(options.divisions);
  if (!divisions.ok()) return Fatal(kProgram, divisions.status());
  Result<std::shared_ptr<const sort::SortPlan>> plan = LoadPlan(options.plan, **divisions);
  if (!plan.ok()) return Fatal(kProgram, plan.status());

  if (order->tracking_number().empty()) {
    // Intake assigns numbers; a preview of an order that has none gets one derived from
    // its id, so the same order previews the same.
    order->set_tracking_number(model::FormatS10(
        "PV", static_cast<uint32_t>(Fnv1a64(order->order_id()) % 100'000'000), "CN"));
  }
  v1::SortRecord record;
  record.set_order_id(order->order_id());
  record.set_tracking_number(order->tracking_number());
  record.set_division_code(order->recipient().division_code());
  record.set_weight_g(order->parcel().weight_g());
  if (Status valid = model::ValidateOrder(*order, **divisions); !valid.ok()) {
    return Fatal(kProgram, valid.WithContext("order " + order->order_id()));
  }
  (*plan)->Assign(*order, &record);

  label::RendererOptions renderer_options;
  renderer_options.template_name = options.template_name;
  Result<std::unique_ptr<label::LabelRenderer>> renderer =
      label::LabelRenderer::Create(renderer_options);
  if (!renderer.ok()) return Fatal(kProgram, renderer.status());
  Result<std::string> pdf = (*renderer)->Render(*order, record);
  if (!pdf.ok()) return Fatal(kProgram, pdf.status());
  Result<std::unique_ptr<label::LabelSink>> sink = label::OpenDirectorySink(options.out_dir, {});
  if (!sink.ok()) return Fatal(kProgram, sink.status());
  Result<v1::LabelRef> ref = (*sink)->Write(order->tracking_number(), *pdf);
  if (!ref.ok()) return Fatal(kProgram, ref.status());
  const std::filesystem::path dir(options.out_dir);
  std::printf("label: %s (%u bytes, template %s, sort code %s, chute %s)\n",
              (dir / ref->path()).c_str(), ref->bytes(), options.template_name.c_str(),
              record.sort_code().c_str(), record.chute().c_str());

  if (options.zpl_dpi != 0) {
    Result<std::string> zpl = (*renderer)->RenderZpl(*order, record, options.zpl_dpi);
    if (!zpl.ok()) return Fatal(kProgram, zpl.status());
    Result<v1::LabelRef> zpl_ref = (*sink)->WriteFile(order->tracking_number() + ".zpl", *zpl);
    if (!zpl_ref.ok()) return Fatal(kProgram, zpl_ref.status());
    std::printf("zpl:   %s (%d dpi)\n", (dir / zpl_ref->path()).c_str(), options.zpl_dpi);
  }
  if (options.png) {
    // Drawn under a temporary name, then renamed like every label file.
    const std::string temp = "." + order->tracking_number() + ".png-tmp";
    const std::filesystem::path final_path = dir / (order->tracking_number() + ".png");
    Status drawn = RasterizeToPng((dir / ref->path()).string(), (dir / temp).string());
    std::error_code ec;
    if (drawn.ok()) std::filesystem::rename(dir / (temp + ".png"), final_path, ec);
    if (!drawn.ok() || ec) {
      std::filesystem::remove(dir / (temp + ".png"), ec);
      return Fatal(kProgram, drawn.ok() ? IoError("cannot write " + final_path.string()) : drawn);
    }
    std::printf("png:   %s (203 dpi)\n", final_path.c_str());
  }
  return kExitOk;
}

}  // namespace

Command AddLabelCommand(CLI::App& app) {
  auto preview = std::make_shared<PreviewOptions>();
  CLI::App* label = app.add_subcommand("label", "Shipping labels");
  label->require_subcommand(1);
  CLI::App* cmd = label->add_subcommand(
      "preview", "Sort one order and write its label <tracking>.pdf (and .png, .zpl)");
  cmd->add_option("order", preview->order_path, "Order JSON (or the first line of a JSONL file)")
      ->required();
  cmd->add_option("-o,--out", preview->out_dir, "Directory to write into")->capture_default_str();
  cmd->add_option("--template", preview->template_name, "Label template")
      ->capture_default_str()
      ->check(CLI::IsMember(label::TemplateNames()));
  cmd->add_flag("--png", preview->png, "Also draw <tracking>.png at 203 dpi (needs pdftoppm)");
  cmd->add_option("--zpl", preview->zpl_dpi, "Also write <tracking>.zpl for a printer of this dpi")
      ->check(CLI::IsMember({203, 300}));
  cmd->add_option("--plan", preview->plan, "Sort plan: a directory of CSV tables, or its files")
      ->capture_default_str();
  cmd->add_option("--divisions", preview->divisions, "Division table directory")
      ->capture_default_str();

  auto get = std::make_shared<GetOptions>();
  CLI::App* get_cmd = label->add_subcommand(
      "get", "Reprint: write <tracking>.pdf, a single-page PDF, for each tracking number");
  get_cmd->add_option("tracking", get->tracking_numbers, "Tracking numbers")->required();
  get_cmd->add_option("--labels", get->labels_dir, "Label store (a run's <out>/labels)")
      ->capture_default_str();
  get_cmd->add_option("-o,--out", get->out_dir, "Directory to write into")->capture_default_str();

  auto index = std::make_shared<IndexOptions>();
  CLI::App* index_cmd =
      label->add_subcommand("index", "Rebuild the label store's index from its batch files");
  index_cmd->add_option("--labels", index->labels_dir, "Label store")->capture_default_str();

  // The parsed subcommand decides what runs.
  return {label, [preview, get, get_cmd, index, index_cmd] {
            if (get_cmd->parsed()) return Get(*get);
            if (index_cmd->parsed()) return Index(*index);
            return Preview(*preview);
          }};
}

}  // namespace sortline::cli
