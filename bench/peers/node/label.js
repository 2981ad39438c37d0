// The reference 100 x 150 mm label drawn with pdfkit and bwip-js (npm), the Node peer of
// bench/suite.sh. Same content and layout as bench/peers/reportlab_label.py: frame and
// rules, the sort code in big type, Code 128 of the tracking number (0.375 mm module,
// 15 mm high), a QR code of "S10:<tracking>|SC:<sort code>|DC:<division>", recipient and
// sender with Chinese text, parcel details, chute and dock door. One PDF per label, in
// memory. Symbols are bwip-js SVG paths drawn as vectors; pdfkit has no non-embedded CJK
// fonts, so the Chinese text uses WenQuanYi Micro Hei (fonts-wqy-microhei), embedded and
// subset per document as pdfkit does.
//
// Usage: node label.js [--seconds S] [--out FILE] [--font TTC]
// Prints one JSON object: labels, seconds, labels_per_s, pdf_bytes (mean).
'use strict';
const fs = require('fs');
const PDFDocument = require('pdfkit');
const bwipjs = require('bwip-js');

const MM = 72 / 25.4;
const W = 100 * MM;
const H = 150 * MM;

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function s10(serial) {
  const weights = [8, 6, 4, 2, 3, 5, 9, 7];
  const digits = String(serial % 100000000).padStart(8, '0');
  let check = 11 - ([...digits].reduce((sum, d, i) => sum + Number(d) * weights[i], 0) % 11);
  if (check === 10) check = 0;
  if (check === 11) check = 5;
  return 'EA' + digits + check + 'CN';
}

// Draws the paths of a bwip-js SVG into the box (x, y, w, h), in points from the top left.
function drawSymbol(doc, svg, x, y, w, h) {
  const box = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg);
  doc.save();
  doc.translate(x, y);
  doc.scale(w / Number(box[1]), h / Number(box[2]));
  for (const m of svg.matchAll(/<path([^>]*)\/>/g)) {
    const d = /d="([^"]+)"/.exec(m[1])[1];
    const stroke = /stroke-width="([\d.]+)"/.exec(m[1]);
    if (stroke) {
      doc.path(d).lineWidth(Number(stroke[1])).stroke('#000000');
    } else {
      doc.path(d).fill('#000000');
    }
  }
  doc.restore();
}

function text(doc, font, xMm, topMm, size, s, widthMm) {
  doc.font(font).fontSize(size);
  const options = widthMm ? {width: widthMm * MM, lineGap: 0.2 * size} : {lineBreak: false};
  doc.text(s, xMm * MM, topMm * MM, options);
}

function render(tracking, cjk) {
  return new Promise((resolve) => {
    const doc = new PDFDocument({size: [W, H], margin: 0, compress: true,
                                 info: {CreationDate: new Date(0)}});
    const chunks = [];
    doc.on('data', (c) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.registerFont('CJK', cjk, 'WenQuanYiMicroHei');
    doc.lineWidth(0.8).rect(2 * MM, 2 * MM, 96 * MM, 146 * MM).stroke();
    for (const y of [24, 50, 88, 110, 132]) doc.moveTo(2 * MM, y * MM).lineTo(98 * MM, y * MM).stroke();
    doc.moveTo(50 * MM, 132 * MM).lineTo(50 * MM, 148 * MM).stroke();
    text(doc, 'Helvetica-Bold', 8, 5, 42, '710-05-12');
    text(doc, 'CJK', 72, 5, 14, '生鲜 易腐');
    text(doc, 'CJK', 72, 15, 12, '生鲜快递');
    const bars = bwipjs.toSVG({bcid: 'code128', text: tracking, scale: 1, height: 15});
    const modules = Number(/viewBox="0 0 ([\d.]+)/.exec(bars)[1]);
    const barWidth = modules * 0.375 * MM;
    drawSymbol(doc, bars, (W - barWidth) / 2, 26 * MM, barWidth, 15 * MM);
    text(doc, 'Helvetica-Bold', 35, 42, 13, tracking);
    const qr = bwipjs.toSVG({bcid: 'qrcode', text: 'S10:' + tracking + '|SC:710-05-12|DC:610502',
                             eclevel: 'M', scale: 1});
    drawSymbol(doc, qr, 71 * MM, 52 * MM, 26 * MM, 26 * MM);
    text(doc, 'CJK', 4, 51, 7, '收件人 TO');
    text(doc, 'CJK', 4, 55.5, 15, '王秀英');
    text(doc, 'Helvetica-Bold', 45, 55.5, 12, '138****5678');
    text(doc, 'CJK', 4, 63.5, 11,
         '陕西省渭南市临渭区人民街道东风大街88号渭南师范学院家属院3号楼2单元501', 66);
    text(doc, 'Helvetica', 71, 79, 7, 'DC 610502');
    text(doc, 'CJK', 4, 89, 7, '寄件人 FROM');
    text(doc, 'CJK', 4, 92.5, 9, '李建国');
    text(doc, 'Helvetica', 45, 92.5, 9, '139****2345');
    text(doc, 'CJK', 4, 98, 8, '广西壮族自治区贵港市港北区贵城街道沙田柚种植合作社', 92);
    text(doc, 'CJK', 4, 111.5, 8, '重量 2.50 kg');
    text(doc, 'CJK', 50, 111.5, 8, '尺寸 300x200x150 mm');
    text(doc, 'CJK', 4, 117, 8, '内件 沙田柚 5斤');
    text(doc, 'CJK', 4, 122.5, 8, '订单 T0001');
    text(doc, 'CJK', 55, 122.5, 8, '下单 2024-09-19 08:00');
    text(doc, 'CJK', 4, 127, 8, '商家 助农优选旗舰店');
    text(doc, 'CJK', 55, 127, 8, '保价 88.00元');
    text(doc, 'CJK', 4, 134, 22, '格口 C-017');
    text(doc, 'CJK', 52, 134, 20, '月台 D03');
    doc.end();
  });
}

function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function main() {
  const seconds = Number(arg('--seconds', '2'));
  const out = arg('--out', '');
  const cjk = fs.readFileSync(arg('--font', '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc'));
  if (out) fs.writeFileSync(out, await render(s10(47312482), cjk));
  await render(s10(1), cjk);  // warm up: module loading, JIT
  let n = 0;
  let bytes = 0;
  const start = cpuSeconds();
  let elapsed = 0;
  do {
    bytes += (await render(s10(10000000 + n), cjk)).length;
    n += 1;
    elapsed = cpuSeconds() - start;
  } while (elapsed < seconds);
  console.log(JSON.stringify({labels: n, seconds: elapsed, labels_per_s: n / elapsed,
                              pdf_bytes: bytes / n}));
}

main().catch((e) => {
  console.error('node peer: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
