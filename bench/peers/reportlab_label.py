#!/usr/bin/python3
"""The reference 100 x 150 mm label drawn with ReportLab (python3-reportlab), as the
peer bench/label_bench compares sortline's renderer with.

Same content as sortline's default template: frame and rules, the sort code in big
type, Code 128 of the tracking number (0.375 mm narrow bar, 15 mm high, quiet zones),
a QR code of "S10:<tracking>|SC:<sort code>|DC:<division>", recipient and sender with
Chinese text in a non-embedded Adobe-GB1 CID font (STSong-Light), parcel details,
chute and dock door. One PDF per label, in memory.

Usage: reportlab_label.py [--seconds S] [--out FILE]
Prints one JSON object: labels, seconds, labels_per_s, pdf_bytes (mean).
"""
import argparse
import io
import json
import time

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

CJK = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(CJK))

W, H = 100 * mm, 150 * mm


def s10(serial):
    weights = [8, 6, 4, 2, 3, 5, 9, 7]
    digits = "%08d" % (serial % 100000000)
    check = 11 - sum(int(d) * w for d, w in zip(digits, weights)) % 11
    check = {10: 0, 11: 5}.get(check, check)
    return "EA%s%dCN" % (digits, check)


def text(c, x_mm, top_mm, size, s, font=CJK, width_mm=None, max_lines=1):
    """Draws s from the top-left of its box, wrapping at any character."""
    lines, line = [], ""
    for ch in s:
        if width_mm and pdfmetrics.stringWidth(line + ch, font, size) > width_mm * mm:
            lines.append(line)
            line = ch
        else:
            line += ch
    lines.append(line)
    c.setFont(font, size)
    for n, ln in enumerate(lines[:max_lines]):
        c.drawString(x_mm * mm, H - top_mm * mm - size * (0.98 + 1.2 * n), ln)


def render(tracking):
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(W, H), invariant=1)
    c.setLineWidth(0.8)
    c.rect(2 * mm, 2 * mm, 96 * mm, 146 * mm)
    for y in (24, 50, 88, 110, 132):
        c.line(2 * mm, H - y * mm, 98 * mm, H - y * mm)
    c.line(50 * mm, H - 132 * mm, 50 * mm, H - 148 * mm)
    text(c, 8, 5, 42, "710-05-12", font="Helvetica-Bold")
    text(c, 72, 5, 14, "生鲜 易腐")
    text(c, 72, 15, 12, "生鲜快递")
    bar = code128.Code128(tracking, barWidth=0.375 * mm, barHeight=15 * mm, quiet=1)
    bar.drawOn(c, (W - bar.width) / 2, H - 41 * mm)
    text(c, 35, 42, 13, tracking, font="Helvetica-Bold")
    payload = "S10:%s|SC:710-05-12|DC:610502" % tracking
    widget = qr.QrCodeWidget(payload, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    d = Drawing(26 * mm, 26 * mm, transform=[26 * mm / (x1 - x0), 0, 0, 26 * mm / (y1 - y0), 0, 0])
    d.add(widget)
    renderPDF.draw(d, c, 71 * mm, H - 78 * mm)
    text(c, 4, 51, 7, "收件人 TO")
    text(c, 4, 55.5, 15, "王秀英")
    text(c, 45, 55.5, 12, "138****5678", font="Helvetica-Bold")
    text(c, 4, 63.5, 11, "陕西省渭南市临渭区人民街道东风大街88号渭南师范学院家属院3号楼2单元501",
         width_mm=66, max_lines=10)
    text(c, 71, 79, 7, "DC 610502", font="Helvetica")
    text(c, 4, 89, 7, "寄件人 FROM")
    text(c, 4, 92.5, 9, "李建国")
    text(c, 45, 92.5, 9, "139****2345", font="Helvetica")
    text(c, 4, 98, 8, "广西壮族自治区贵港市港北区贵城街道沙田柚种植合作社", width_mm=92, max_lines=5)
    text(c, 4, 111.5, 8, "重量 2.50 kg")
    text(c, 50, 111.5, 8, "尺寸 300x200x150 mm")
    text(c, 4, 117, 8, "内件 沙田柚 5斤")
    text(c, 4, 122.5, 8, "订单 T0001")
    text(c, 55, 122.5, 8, "下单 2024-09-19 08:00")
    text(c, 4, 127, 8, "商家 助农优选旗舰店")
    text(c, 55, 127, 8, "保价 88.00元")
    text(c, 4, 134, 22, "格口 C-017")
    text(c, 52, 134, 20, "月台 D03")
    c.showPage()
    c.save()
    return buf.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--out", help="also write one label here")
    args = parser.parse_args()
    if args.out:
        with open(args.out, "wb") as f:
            f.write(render(s10(47312482)))
    render(s10(1))  # warm up: font and module caches
    n, size, start = 0, 0, time.process_time()
    while True:
        size += len(render(s10(10000000 + n)))
        n += 1
        elapsed = time.process_time() - start
        if elapsed >= args.seconds:
            break
    print(json.dumps({"labels": n, "seconds": elapsed, "labels_per_s": n / elapsed,
                      "pdf_bytes": size / n}))


if __name__ == "__main__":
    main()
