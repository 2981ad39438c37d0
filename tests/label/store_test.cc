// The label store (issue 10): batch files named by their labels and carrying their page
// list, reprints cut out with qpdf that are the same label, the index rebuilt from the
// files, per-parcel groups, pruning, and a full or failing disk injected through the file
// seam.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include "pipeline/base/hash.h"
#include "pipeline/label/label.h"
#include "pipeline/label/label_store.h"
#include "pipeline/model/s10.h"
#include "tests/label/pdf_tools.h"
#include "tests/testing/fault_file_system.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::label {
namespace {

namespace fs = std::filesystem;

std::set<std::string> Listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

std::string Slurp(const fs::path& path) {
  std::string bytes;
  EXPECT_OK(DefaultFileSystem().ReadFile(path.string(), &bytes)) << path;
  return bytes;
}

// Sets a file's modification time `seconds` into the past.
void Age(const fs::path& path, int seconds) {
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
  struct utimbuf times {};
  times.actime = st.st_atime - seconds;
  times.modtime = st.st_mtime - seconds;
  ASSERT_EQ(::utime(path.c_str(), &times), 0) << path;
}

// A batch of labels rendered as the worker renders them.
struct RenderedBatch {
  std::vector<v1::Order> orders;
  std::vector<v1::SortRecord> records;
  std::vector<std::string> tracking;  // in page order
  std::string pdf;
};

RenderedBatch Render(int n, uint32_t first_serial) {
  RenderedBatch batch;
  for (int i = 0; i < n; ++i) {
    v1::Order order = testing::SampleOrder("STORE-" + std::to_string(first_serial + i));
    order.set_tracking_number(
        model::FormatS10("EA", first_serial + static_cast<uint32_t>(i), "CN"));
    v1::SortRecord record;
    record.set_order_id(order.order_id());
    record.set_tracking_number(order.tracking_number());
    record.set_sort_code("710-05-12");
    record.set_chute("C0" + std::to_string(10 + i));
    record.set_dock_door("D03");
    batch.orders.push_back(std::move(order));
    batch.records.push_back(std::move(record));
  }
  std::vector<LabelInput> inputs;
  for (int i = 0; i < n; ++i) inputs.push_back({&batch.orders[i], &batch.records[i]});
  auto renderer = LabelRenderer::Create({});
  EXPECT_OK(renderer);
  auto pdf = (*renderer)->RenderBatch(inputs, {});
  EXPECT_OK(pdf);
  batch.pdf = pdf->pdf;
  for (size_t index : pdf->pages) batch.tracking.push_back(batch.orders[index].tracking_number());
  return batch;
}

// Stores `batch` as the worker does: its PDF under its pages' tracking numbers.
Result<std::vector<v1::LabelRef>> Put(LabelStore& store, const RenderedBatch& batch) {
  return store.PutBatch(batch.tracking, batch.pdf);
}

// Each test's store directory, and the label store in it.
class LabelStoreTest : public ::testing::Test {
 protected:
  // Opens the store in tmp_ with `options`; a failed test when it does not open.
  std::unique_ptr<LabelStore> OpenStore(LabelStoreOptions options = {}) {
    auto store = LabelStore::Open(tmp_.path().string(), options);
    EXPECT_OK(store);
    return std::move(store).value();
  }

  testing::TempDir tmp_;
};

TEST_F(LabelStoreTest, ABatchIsOneFileNamedByItsLabelsWithOneReferencePerPage) {
  auto store = OpenStore();
  RenderedBatch batch = Render(5, 100);
  auto refs = Put(*store, batch);
  ASSERT_OK(refs);
  ASSERT_EQ(refs->size(), 5u);
  const std::string file = (*refs)[0].path();
  EXPECT_TRUE(file.starts_with("batch-") && file.ends_with(".pdf")) << file;
  const std::string bytes = Slurp(tmp_.path() / file);
  for (size_t i = 0; i < refs->size(); ++i) {
    EXPECT_EQ((*refs)[i].path(), file);
    EXPECT_EQ((*refs)[i].page(), i + 1);
    EXPECT_EQ((*refs)[i].bytes(), bytes.size());
    EXPECT_EQ((*refs)[i].content_hash(), HashHex(Fnv1a64(bytes)));
  }
  // The file names its pages, and poppler still reads it whole.
  auto pages = BatchPages(bytes);
  ASSERT_OK(pages);
  EXPECT_EQ(*pages, batch.tracking);
  tools::CommandResult info = tools::RunCommand("pdfinfo " + (tmp_.path() / file).string());
  EXPECT_EQ(info.exit_code, 0);
  EXPECT_NE(info.output.find("Pages:           5"), std::string::npos) << info.output;
  EXPECT_EQ(tools::RunCommand("qpdf --check " + (tmp_.path() / file).string()).exit_code, 0);
  EXPECT_EQ(Listing(tmp_.path()), (std::set<std::string>{file, "index"}));
}

TEST_F(LabelStoreTest, ARedeliveredBatchGivesTheSameFileAndReferencesIssue10) {
  auto store = OpenStore();
  RenderedBatch batch = Render(4, 200);
  auto first = Put(*store, batch);
  ASSERT_OK(first);
  const std::string before = Slurp(tmp_.path() / (*first)[0].path());
  // Rendered again (by another renderer, as another worker would) and stored again.
  RenderedBatch again = Render(4, 200);
  auto second = Put(*store, again);
  ASSERT_OK(second);
  ASSERT_EQ(second->size(), first->size());
  for (size_t i = 0; i < first->size(); ++i) {
    EXPECT_EQ((*second)[i].SerializeAsString(), (*first)[i].SerializeAsString());
  }
  EXPECT_EQ(Slurp(tmp_.path() / (*second)[0].path()), before);
  EXPECT_EQ(Listing(tmp_.path()).size(), 2u) << "one batch file and the index";
  // Another composition is another file.
  RenderedBatch other = Render(3, 200);
  auto third = Put(*store, other);
  ASSERT_OK(third);
  EXPECT_NE((*third)[0].path(), (*first)[0].path());
}

TEST_F(LabelStoreTest, AReprintIsTheSameLabelAsItsBatchPageIssue10) {
  auto store = OpenStore();
  RenderedBatch batch = Render(6, 300);
  auto refs = Put(*store, batch);
  ASSERT_OK(refs);
  const std::string tracking = batch.tracking[3];
  auto ref = store->Find(tracking);
  ASSERT_OK(ref);
  EXPECT_EQ(ref->path(), (*refs)[3].path());
  EXPECT_EQ(ref->page(), 4u);

  auto reprint = store->Extract(tracking);
  ASSERT_OK(reprint);
  const std::string batch_file = Slurp(tmp_.path() / ref->path());
  // The page draws exactly what the batch page drew.
  auto original = PageContent(batch_file, 4);
  auto copied = PageContent(*reprint, 1);
  ASSERT_TRUE(original.ok() && copied.ok()) << original.status() << copied.status();
  EXPECT_GT(original->size(), 1000u);
  EXPECT_EQ(*copied, *original);
  // One page, whose symbols decode to this parcel and whose text is the batch page's.
  std::ofstream(tmp_.file("reprint.pdf"), std::ios::binary) << *reprint;
  tools::CommandResult info = tools::RunCommand("pdfinfo " + tmp_.file("reprint.pdf"));
  EXPECT_NE(info.output.find("Pages:           1"), std::string::npos) << info.output;
  const std::vector<std::string> symbols = tools::DecodeSymbols(*reprint);
  EXPECT_NE(std::find(symbols.begin(), symbols.end(), "CODE-128:" + tracking), symbols.end())
      << ::testing::PrintToString(symbols);
  EXPECT_TRUE(std::any_of(symbols.begin(), symbols.end(), [&](const std::string& s) {
    return s.starts_with("QR-Code:S10:" + tracking + "|");
  })) << ::testing::PrintToString(symbols);
  const std::string batch_path = (tmp_.path() / ref->path()).string();
  tools::CommandResult page_text =
      tools::RunCommand("pdftotext -layout -f 4 -l 4 " + batch_path + " -");
  tools::CommandResult reprint_text =
      tools::RunCommand("pdftotext -layout " + tmp_.file("reprint.pdf") + " -");
  ASSERT_EQ(page_text.exit_code, 0);
  EXPECT_NE(page_text.output.find(tracking.substr(0, 2)), std::string::npos);
  EXPECT_EQ(reprint_text.output, page_text.output);
  // The same page cut twice gives the same bytes.
  EXPECT_EQ(*store->Extract(tracking), *reprint);
  EXPECT_EQ(store->Find("EA999999995CN").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Find("../etc/passwd").status().code(), StatusCode::kInvalidArgument);
}

TEST(LabelStore, CuttingAPageThatIsNotThereOrFromAFileThatIsNotAPdfSaysWhich) {
  const RenderedBatch batch = Render(2, 400);
  ASSERT_OK(ExtractPage(batch.pdf, 2));
  for (uint32_t page : {0u, 3u}) {
    EXPECT_THAT(ExtractPage(batch.pdf, page),
                testing::StatusIs(
                    StatusCode::kInvalidArgument,
                    ::testing::HasSubstr("page " + std::to_string(page) + " of a PDF of 2 pages")));
    EXPECT_THAT(PageContent(batch.pdf, page), testing::StatusIs(StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(PageContent("%PDF-1.4 and then nothing", 1),
              testing::StatusIs(StatusCode::kDataLoss,
                                ::testing::HasSubstr("reading a page of a batch file")));
  EXPECT_THAT(ExtractPage(batch.pdf.substr(0, batch.pdf.size() / 3), 1),
              testing::StatusIs(StatusCode::kDataLoss,
                                ::testing::HasSubstr("cutting a page out of a batch file")));
}

TEST_F(LabelStoreTest, TheIndexIsRebuiltFromTheBatchFilesWhenDeletedIssue10) {
  RenderedBatch a = Render(3, 400);
  RenderedBatch b = Render(2, 410);
  {
    auto store = OpenStore();
    ASSERT_OK(Put(*store, a));
    ASSERT_OK(Put(*store, b));
  }
  ASSERT_FALSE(Listing(tmp_.path() / "index").empty());
  fs::remove_all(tmp_.path() / "index");

  auto store = OpenStore();
  auto found = store->Find(b.tracking[1]);
  ASSERT_OK(found);
  EXPECT_EQ(found->page(), 2u);
  // What the files said is in the index again, for every label.
  std::string logs;
  for (const std::string& name : Listing(tmp_.path() / "index")) {
    logs += Slurp(tmp_.path() / "index" / name);
  }
  for (const std::string& tracking : a.tracking) {
    EXPECT_NE(logs.find(tracking + " batch-"), std::string::npos) << tracking << "\n" << logs;
  }
  // An explicit rebuild names every page too.
  fs::remove_all(tmp_.path() / "index");
  auto rebuilt = OpenStore()->RebuildIndex();
  ASSERT_OK(rebuilt);
  EXPECT_EQ(*rebuilt, 5u);
  EXPECT_EQ(Listing(tmp_.path() / "index").size(), 1u);
}

TEST_F(LabelStoreTest, ATornIndexLineIsSkippedAndTheFilesFillTheGap) {
  RenderedBatch a = Render(2, 500);
  {
    auto store = OpenStore();
    ASSERT_OK(Put(*store, a));
  }
  const std::set<std::string> logs = Listing(tmp_.path() / "index");
  ASSERT_EQ(logs.size(), 1u);
  const fs::path log = tmp_.path() / "index" / *logs.begin();
  std::string text = Slurp(log);
  fs::resize_file(log, text.size() - 5);  // the last line loses its end
  auto found = OpenStore()->Find(a.tracking[1]);
  ASSERT_OK(found);
  EXPECT_EQ(found->page(), 2u);
}

TEST_F(LabelStoreTest, PerParcelFilesAreWrittenAsOneGroupAndFoundByName) {
  testing::FaultInjectingFileSystem fs;
  LabelStoreOptions options;
  options.file_system = &fs;
  auto store = OpenStore(options);
  const std::vector<ParcelLabel> labels = {{"EA000000014CN", "%PDF one"},
                                           {"EA000000028CN", "%PDF two"}};
  auto refs = store->PutParcels(labels);
  ASSERT_OK(refs);
  EXPECT_EQ(fs.written(), 1) << "one durable group, not a write per parcel";
  EXPECT_EQ((*refs)[1].path(), "EA000000028CN.pdf");
  EXPECT_EQ((*refs)[1].page(), 0u);
  EXPECT_EQ(Slurp(tmp_.path() / "EA000000028CN.pdf"), "%PDF two");
  auto found = store->Find("EA000000014CN");
  ASSERT_OK(found);
  EXPECT_EQ(found->page(), 0u);
  EXPECT_EQ(*store->Extract("EA000000014CN"), "%PDF one");
  const std::vector<ParcelLabel> bad = {{"EA000000042CN", "x"}, {"../../x", "y"}};
  EXPECT_EQ(store->PutParcels(bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(tmp_.path() / "EA000000042CN.pdf"));
}

TEST_F(LabelStoreTest, AFullDiskOrAFailedFlushLeavesNothingUnderAFinalNameIssue10) {
  testing::FaultInjectingFileSystem fs;
  LabelStoreOptions options;
  options.file_system = &fs;
  auto store = OpenStore(options);
  RenderedBatch batch = Render(2, 600);
  fs.SetDiskFull(true);
  EXPECT_EQ(Put(*store, batch).status().code(), StatusCode::kResourceExhausted);
  const std::vector<ParcelLabel> parcels = {{"EA000000014CN", "%PDF"}};
  EXPECT_EQ(store->PutParcels(parcels).status().code(), StatusCode::kResourceExhausted);
  fs.SetDiskFull(false);
  fs.FailNextFlushes(1);
  EXPECT_EQ(Put(*store, batch).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(Listing(tmp_.path()), std::set<std::string>{"index"}) << "no file, no temporary";
  ASSERT_OK(Put(*store, batch)) << "space returned";
}

TEST_F(LabelStoreTest, OpeningSweepsTheTornBatchFileOfADeadWriter) {
  const std::string torn = ".batch-0123456789abcdef.pdf.tmp." + TemporaryHostTag() + ".999999999.0";
  std::ofstream(tmp_.path() / torn) << "%PDF-1.3 half a batch";
  auto store = OpenStore();
  EXPECT_EQ(Listing(tmp_.path()), std::set<std::string>{"index"});
}

TEST_F(LabelStoreTest, PruningRemovesLabelsAndIndexLogsOlderThanTheCutoffIssue10) {
  LabelStoreOptions options;
  options.index_roll_ms = 0;  // a new index log for each batch written a millisecond later
  auto store = OpenStore(options);
  RenderedBatch old_batch = Render(2, 700);
  RenderedBatch new_batch = Render(2, 710);
  auto old_refs = Put(*store, old_batch);
  ASSERT_OK(old_refs);
  const std::vector<ParcelLabel> parcel = {{"EA000000014CN", "%PDF one"}};
  ASSERT_OK(store->PutParcels(parcel));
  for (const std::string& name : Listing(tmp_.path() / "index")) {
    Age(tmp_.path() / "index" / name, 3600);
  }
  Age(tmp_.path() / (*old_refs)[0].path(), 3600);
  Age(tmp_.path() / "EA000000014CN.pdf", 3600);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto new_refs = Put(*store, new_batch);
  ASSERT_OK(new_refs);

  const int64_t cutoff = static_cast<int64_t>(::time(nullptr) - 1800) * 1000;
  auto pruned = store->Prune(cutoff);
  ASSERT_OK(pruned);
  EXPECT_EQ(pruned->label_files, 2u);
  EXPECT_EQ(pruned->index_logs, 1u);
  EXPECT_EQ(store->Find(old_batch.tracking[0]).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Find("EA000000014CN").status().code(), StatusCode::kNotFound);
  auto kept = store->Find(new_batch.tracking[1]);
  ASSERT_OK(kept);
  EXPECT_EQ(kept->path(), (*new_refs)[1].path());
  // The writer goes on logging after its log was pruned.
  RenderedBatch later = Render(1, 720);
  ASSERT_OK(Put(*store, later));
  EXPECT_OK(OpenStore()->Find(later.tracking[0]));
}

TEST(LabelStore, LabelFilesNamesParseBothWays) {
  for (LabelFiles files : {LabelFiles::kBatch, LabelFiles::kPerParcel}) {
    auto parsed = ParseLabelFiles(LabelFilesName(files));
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, files);
  }
  EXPECT_EQ(ParseLabelFiles("zip").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sortline::label
