// Photos are made smaller in the browser before they are sent, where it can: a phone's 12-megapixel photo
// becomes a JPEG of at most LONG_SIDE pixels (quality 0.85), upright, and keeps only its capture time
// (EXIF DateTimeOriginal, written back into the small copy, so that the case keeps when the photo was taken).
// Without this script, or a browser that cannot replace an input's files (DataTransfer), the photos go as
// chosen and the server's limits are the guard. Nothing here is needed for the form to work.
(function () {
  "use strict";
  var LONG_SIDE = 2048, QUALITY = 0.85, SMALL_ENOUGH = 1536 * 1024;

  function canReplaceFiles() {
    try { return typeof createImageBitmap === "function" && new DataTransfer().items !== undefined; }
    catch (e) { return false; }
  }

  // "2026:11:30 08:15:00" from a JPEG's EXIF (DateTimeOriginal), or null.
  function captureTime(buffer) {
    try {
      var v = new DataView(buffer), off = 2;
      if (v.getUint16(0) !== 0xFFD8) return null;
      while (off + 10 < v.byteLength) {
        var marker = v.getUint16(off), length = v.getUint16(off + 2);
        if (marker === 0xFFE1 && v.getUint32(off + 4) === 0x45786966) return tiffTime(v, off + 10);
        if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) return null;
        off += 2 + length;
      }
    } catch (e) { /* a damaged header: no time */ }
    return null;
  }

  function tiffTime(v, t) {
    var le = v.getUint16(t) === 0x4949;
    function u16(o) { return v.getUint16(t + o, le); }
    function u32(o) { return v.getUint32(t + o, le); }
    function entry(ifd, tag) {
      for (var i = 0, n = u16(ifd); i < n; i++) { if (u16(ifd + 2 + i * 12) === tag) return ifd + 2 + i * 12; }
      return null;
    }
    var pointer = entry(u32(4), 0x8769);
    var original = pointer === null ? null : entry(u32(pointer + 8), 0x9003);
    if (original === null || u32(original + 4) < 19) return null;
    var at = u32(original + 8), text = "";
    for (var i = 0; i < 19; i++) text += String.fromCharCode(v.getUint8(t + at + i));
    return /^\d{4}:\d\d:\d\d \d\d:\d\d:\d\d$/.test(text) ? text : null;
  }

  // An APP1 segment holding only DateTimeOriginal (big-endian TIFF: IFD0 -> Exif IFD -> the time).
  function timeSegment(text) {
    var b = new Uint8Array(74), v = new DataView(b.buffer);
    v.setUint16(0, 0xFFE1); v.setUint16(2, 72);
    b.set([0x45, 0x78, 0x69, 0x66, 0, 0], 4);
    var t = 10;
    v.setUint16(t, 0x4D4D); v.setUint16(t + 2, 42); v.setUint32(t + 4, 8);
    v.setUint16(t + 8, 1); v.setUint16(t + 10, 0x8769); v.setUint16(t + 12, 4); v.setUint32(t + 14, 1); v.setUint32(t + 18, 26);
    v.setUint16(t + 26, 1); v.setUint16(t + 28, 0x9003); v.setUint16(t + 30, 2); v.setUint32(t + 32, 20); v.setUint32(t + 36, 44);
    for (var i = 0; i < 19; i++) b[t + 44 + i] = text.charCodeAt(i);
    return b;
  }

  function withTime(blob, text) {
    if (!text) return Promise.resolve(blob);
    return blob.arrayBuffer().then(function (buffer) {
      var head = new Uint8Array(buffer, 0, 2);  // SOI; the segment goes right after it
      return new Blob([head, timeSegment(text), new Uint8Array(buffer, 2)], { type: "image/jpeg" });
    });
  }

  function smaller(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return Promise.resolve(file);
    return Promise.all([file.arrayBuffer(), createImageBitmap(file, { imageOrientation: "from-image" })])
      .then(function (got) {
        var buffer = got[0], bitmap = got[1];
        var scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
        if (scale === 1 && file.size <= SMALL_ENOUGH) return file;
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        var context = canvas.getContext("2d");
        context.fillStyle = "#fff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        return new Promise(function (done) { canvas.toBlob(done, "image/jpeg", QUALITY); })
          .then(function (blob) { return blob ? withTime(blob, captureTime(buffer)) : null; })
          .then(function (blob) {
            if (!blob || blob.size >= file.size) return file;
            return new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" });
          });
      })
      .catch(function () { return file; });  // whatever the browser cannot read goes as chosen
  }

  function shrink(input) {
    var chosen = Array.prototype.slice.call(input.files || []);
    if (!chosen.length) return;
    input.dataset.shrinking = "1";
    Promise.all(chosen.map(smaller)).then(function (files) {
      var transfer = new DataTransfer();
      files.forEach(function (f) { transfer.items.add(f); });
      input.files = transfer.files;
      delete input.dataset.shrinking;
    });
  }

  if (!canReplaceFiles()) return;
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type === "file" && input.multiple && /image/.test(input.accept || "")) shrink(input);
  });
  // A submit while photos are still being made smaller waits for them.
  document.addEventListener("submit", function (event) {
    var busy = event.target.querySelector("input[type=file][data-shrinking]");
    if (!busy) return;
    event.preventDefault();
    var form = event.target, submitter = event.submitter;
    (function wait() {
      if (form.querySelector("input[type=file][data-shrinking]")) return setTimeout(wait, 100);
      form.requestSubmit ? form.requestSubmit(submitter) : form.submit();
    })();
  }, true);
})();
