#include "pipeline/label/internal/pdf_document.h"

#include <array>
#include <cstdio>
#include <new>

#include <hpdf.h>
#include <hpdf_pages.h>
#include <hpdf_streams.h>
#include <libdeflate.h>

#include "pipeline/label/internal/hpdf.h"

namespace sortline::label::internal {
namespace {

using Fonts = std::array<HPDF_Font, kFontCount>;

// Deflate level for page content streams. On the reference label's 2.1 KB of content
// (one core of two, shared): libdeflate level 1 gives 1.05 KB in ~10 µs, level 6
// 1.03 KB in ~18 µs; zlib level 1 1.08 KB in ~17 µs. A call costs ~5 µs whatever the
// size (Huffman tables), so content bytes saved are worth less than the last ones.
constexpr int kDeflateLevel = 1;

// Bytes of a batch file besides the content streams, to size its buffer once: the
// catalog, fonts and cross-reference table (~4 KB), and a page's objects (~0.4 KB).
constexpr size_t kFileOverhead = 8192;
constexpr size_t kPageOverhead = 512;

// Deflates page content (zlib format, as FlateDecode expects) with libdeflate, whose
// whole-buffer compressor suits one small stream per page.
// Thread-safety: not thread-safe; owned by one document.
class Deflater {
 public:
  Status Init() {
    compressor_.reset(libdeflate_alloc_compressor(kDeflateLevel));
    if (compressor_ == nullptr) return Internal("libdeflate: cannot allocate a compressor");
    return Status::Ok();
  }

  Status Deflate(std::string_view in, std::string& out) {
    out.resize(libdeflate_zlib_compress_bound(compressor_.get(), in.size()));
    const size_t n =
        libdeflate_zlib_compress(compressor_.get(), in.data(), in.size(), out.data(), out.size());
    if (n == 0) return Internal("libdeflate: compression failed");
    out.resize(n);
    return Status::Ok();
  }

 private:
  struct Free {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
  };
  std::unique_ptr<libdeflate_compressor, Free> compressor_;
};

// libharu writes a /Filter entry only for streams it compresses itself; a content
// stream deflated here gets its entry from this hook, which HPDF_Dict_Write calls after
// the dict's other entries.
HPDF_STATUS WriteFlateFilter(HPDF_Dict, HPDF_Stream stream) {
  return HPDF_Stream_WriteStr(stream, "/Filter /FlateDecode\012");
}

Status CheckHpdf(HPDF_Doc doc, const HpdfError& error, const char* what) {
  if (error.error_no == HPDF_OK && HPDF_GetError(doc) == HPDF_OK) return Status::Ok();
  HPDF_STATUS error_no = error.error_no != HPDF_OK ? error.error_no : HPDF_GetError(doc);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "libharu error 0x%04X (detail %u) while %s",
                static_cast<unsigned>(error_no), static_cast<unsigned>(error.detail_no), what);
  return Internal(buf);
}

Status LoadFonts(HPDF_Doc doc, const HpdfError& error, Fonts& fonts) {
  fonts[kHelvetica] = HPDF_GetFont(doc, "Helvetica", "WinAnsiEncoding");
  fonts[kHelveticaBold] = HPDF_GetFont(doc, "Helvetica-Bold", "WinAnsiEncoding");
  fonts[kSimSun] = HPDF_GetFont(doc, "SimSun", "GBK-EUC-H");
  fonts[kSimHei] = HPDF_GetFont(doc, "SimHei", "GBK-EUC-H");
  for (HPDF_Font font : fonts) {
    if (font == nullptr) return CheckHpdf(doc, error, "loading fonts");
  }
  return Status::Ok();
}

// A document with the CID fonts and GBK encodings available, reporting into `error`.
Result<DocPtr> NewDoc(HpdfError& error) {
  DocPtr doc(HPDF_NewEx(&OnHpdfError, nullptr, nullptr, 0, &error));
  if (doc == nullptr) return Internal("libharu: cannot create a document");
  HPDF_UseCNSFonts(doc.get());
  HPDF_UseCNSEncodings(doc.get());
  return doc;
}

HPDF_Stream PageStream(HPDF_Page page) { return static_cast<HPDF_PageAttr>(page->attr)->stream; }

// Appends what libharu writes to the std::string in the stream's attr.
HPDF_STATUS AppendToString(HPDF_Stream stream, const HPDF_BYTE* bytes, HPDF_UINT size) {
  try {
    static_cast<std::string*>(stream->attr)->append(reinterpret_cast<const char*>(bytes), size);
  } catch (const std::bad_alloc&) {
    return HPDF_FAILD_TO_ALLOC_MEM;
  }
  return HPDF_OK;
}

// The whole document as a PDF file. HPDF_SaveToStream writes into the document's own
// stream, a memory stream of 4 KB blocks filled and read back byte by byte
// (HPDF_MemCpy) unless the document already has a stream; given one that appends to
// `pdf` (an exported libharu writer), the file is written once, straight into `pdf`.
// libharu frees that stream with the document (HPDF_FreeDoc, HPDF_Free).
Result<std::string> Save(HPDF_Doc doc, const HpdfError& error, size_t size_hint) {
  if (doc->stream == nullptr) {
    doc->stream = HPDF_CallbackWriter_New(doc->mmgr, &AppendToString, nullptr);
    if (doc->stream == nullptr) return CheckHpdf(doc, error, "rendering");
  }
  if (doc->stream->type != HPDF_STREAM_CALLBACK) return Internal("libharu: unexpected stream");
  std::string pdf;
  pdf.reserve(size_hint);
  doc->stream->attr = &pdf;
  doc->stream->size = 0;  // the cross-reference offsets count from here
  const HPDF_STATUS rc = HPDF_SaveToStream(doc);
  doc->stream->attr = nullptr;
  if (rc != HPDF_OK) return CheckHpdf(doc, error, "rendering");
  SORTLINE_RETURN_IF_ERROR(CheckHpdf(doc, error, "rendering"));
  return pdf;
}

// Glyph widths from a document of its own that is never saved, so no failure of a
// label's document can reach the widths the layout caches.
class HpdfWidths final : public GlyphWidths {
 public:
  Status Init() {
    SORTLINE_ASSIGN_OR_RETURN(doc_, NewDoc(error_));
    SORTLINE_RETURN_IF_ERROR(LoadFonts(doc_.get(), error_, fonts_));
    return CheckHpdf(doc_.get(), error_, "loading fonts");
  }

  unsigned Width(FontId font, std::string_view glyph) override {
    return HPDF_Font_TextWidth(fonts_[font], reinterpret_cast<const HPDF_BYTE*>(glyph.data()),
                               static_cast<HPDF_UINT>(glyph.size()))
        .width;
  }

 private:
  HpdfError error_;  // before doc_: libharu holds its address
  DocPtr doc_;
  Fonts fonts_{};
};

class HpdfDocument final : public PdfDocument {
 public:
  explicit HpdfDocument(bool compress) : compress_(compress) {}

  Status Init() {
    SORTLINE_RETURN_IF_ERROR(widths_.Init());
    SORTLINE_RETURN_IF_ERROR(deflater_.Init());
    SORTLINE_ASSIGN_OR_RETURN(batch_doc_, NewDoc(batch_error_));
    return OpenSingleDoc();
  }

  GlyphWidths& widths() override { return widths_; }
  const FontNames& font_names() const override { return font_names_; }

  Result<std::string> SavePage(double width_pt, double height_pt,
                               std::string_view content) override {
    if (single_broken_) SORTLINE_RETURN_IF_ERROR(OpenSingleDoc());
    single_error_ = HpdfError{};
    HPDF_Page_SetWidth(single_page_, static_cast<HPDF_REAL>(width_pt));
    HPDF_Page_SetHeight(single_page_, static_cast<HPDF_REAL>(height_pt));
    HPDF_Stream stream = PageStream(single_page_);
    HPDF_MemStream_FreeData(stream);
    SORTLINE_RETURN_IF_ERROR(WriteContent(stream, content));
    Result<std::string> pdf = Save(single_doc_.get(), single_error_, single_size_);
    if (!pdf.ok()) {
      single_broken_ = true;
    } else {
      single_size_ = pdf->size() + pdf->size() / 8;
    }
    return pdf;
  }

  Status StartBatch() override {
    batch_error_ = HpdfError{};
    HPDF_Doc doc = batch_doc_.get();
    if (HPDF_NewDoc(doc) != HPDF_OK) return CheckHpdf(doc, batch_error_, "starting a batch");
    batch_size_ = kFileOverhead;
    return LoadFonts(doc, batch_error_, batch_fonts_);
  }

  Status AddPage(double width_pt, double height_pt, std::string_view content) override {
    HPDF_Doc doc = batch_doc_.get();
    HPDF_Page page = HPDF_AddPage(doc);
    if (page == nullptr) return CheckHpdf(doc, batch_error_, "adding a page");
    HPDF_Page_SetWidth(page, static_cast<HPDF_REAL>(width_pt));
    HPDF_Page_SetHeight(page, static_cast<HPDF_REAL>(height_pt));
    SORTLINE_RETURN_IF_ERROR(RegisterFonts(page, batch_fonts_, batch_error_, doc));
    MarkCompressed(page);
    batch_size_ += kPageOverhead + content.size();
    return WriteContent(PageStream(page), content);
  }

  Result<std::string> FinishBatch() override {
    return Save(batch_doc_.get(), batch_error_, batch_size_ + batch_size_ / 8);
  }

 private:
  // The per-parcel document: one page, the four fonts in its resources, kept for the
  // writer's lifetime (see the header). After a libharu error it is rebuilt.
  Status OpenSingleDoc() {
    single_error_ = HpdfError{};
    SORTLINE_ASSIGN_OR_RETURN(single_doc_, NewDoc(single_error_));
    HPDF_Doc doc = single_doc_.get();
    Fonts fonts{};
    SORTLINE_RETURN_IF_ERROR(LoadFonts(doc, single_error_, fonts));
    single_page_ = HPDF_AddPage(doc);
    if (single_page_ == nullptr) return CheckHpdf(doc, single_error_, "adding a page");
    MarkCompressed(single_page_);
    SORTLINE_RETURN_IF_ERROR(RegisterFonts(single_page_, fonts, single_error_, doc));
    single_broken_ = false;
    return CheckHpdf(doc, single_error_, "opening the label document");
  }

  // Puts every font in the page's resources, whether the label uses it or not, so the
  // resources (and the bytes) do not depend on the text. The first page fixes
  // font_names_; every later page must get the same names, as content is written
  // with them before the page exists.
  Status RegisterFonts(HPDF_Page page, const Fonts& fonts, const HpdfError& error, HPDF_Doc doc) {
    for (int f = 0; f < kFontCount; ++f) {
      const char* name = HPDF_Page_GetLocalFontName(page, fonts[static_cast<size_t>(f)]);
      if (name == nullptr) return CheckHpdf(doc, error, "registering fonts");
      std::string& known = font_names_[static_cast<size_t>(f)];
      const std::string resource = std::string("/") + name + " ";
      if (known.empty()) known = resource;
      if (known != resource) return Internal("libharu named a page's fonts differently");
    }
    return Status::Ok();
  }

  // Documents are created without libharu compression (HPDF_COMP_NONE); when
  // compressing, content streams are deflated here and marked by this hook.
  void MarkCompressed(HPDF_Page page) const {
    if (compress_) static_cast<HPDF_PageAttr>(page->attr)->contents->write_fn = &WriteFlateFilter;
  }

  // `content`, deflated when compressing, as the page's content stream.
  Status WriteContent(HPDF_Stream stream, std::string_view content) {
    if (compress_) {
      SORTLINE_RETURN_IF_ERROR(deflater_.Deflate(content, deflated_));
      content = deflated_;
    }
    if (HPDF_Stream_Write(stream, reinterpret_cast<const HPDF_BYTE*>(content.data()),
                          static_cast<HPDF_UINT>(content.size())) != HPDF_OK) {
      return Internal("libharu: cannot write the page content");
    }
    return Status::Ok();
  }

  const bool compress_;
  HpdfWidths widths_;
  Deflater deflater_;
  std::string deflated_;
  FontNames font_names_;

  // Declared before the documents: libharu holds their addresses.
  HpdfError single_error_;
  HpdfError batch_error_;
  DocPtr single_doc_;
  HPDF_Page single_page_ = nullptr;
  bool single_broken_ = false;
  size_t single_size_ = 0;  // what the last file's size suggests to reserve for the next
  DocPtr batch_doc_;
  size_t batch_size_ = 0;  // an upper estimate of the batch file's size
  Fonts batch_fonts_{};
};

}  // namespace

Result<std::unique_ptr<PdfDocument>> PdfDocument::Create(bool compress) {
  auto doc = std::make_unique<HpdfDocument>(compress);
  SORTLINE_RETURN_IF_ERROR(doc->Init());
  return std::unique_ptr<PdfDocument>(std::move(doc));
}

}  // namespace sortline::label::internal
