/* Chunked, resumable uploads of videos and posters (the exhibitor portal and the stage page).

   The form's data attributes hold the create URL, the CSRF token, the size limits and the messages
   (already translated). A file is sent in chunks at their offset; after a dropped connection the
   script waits (1, 2, 4 … 30 s), asks the server how many bytes arrived and goes on from there.
   The upload's address is kept in localStorage under the file's name, size and date, so choosing
   the same file again after a reload resumes it too. A file the booth already holds is refused
   when it is complete; the server's message names the item. No library, no CDN. */
(function () {
  "use strict";

  var MAX_WAIT = 30;

  function fmt(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  function humanSize(n) {
    if (n >= 1024 * 1024) { return (Math.round(n / 1048576 * 10) / 10) + " MB"; }
    return (n > 0 ? Math.max(1, Math.floor(n / 1024)) : 0) + " KB";
  }

  function sleep(seconds) {
    return new Promise(function (resolve) { setTimeout(resolve, seconds * 1000); });
  }

  function readJson(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) { return Promise.resolve({}); }
    return response.json().catch(function () { return {}; });
  }

  function Uploader(form) {
    this.form = form;
    this.data = form.dataset;
    this.progress = form.querySelector("progress");
    this.message = form.querySelector(".upload-message");
    this.startButton = form.querySelector("[type=submit]");
    this.cancelButton = form.querySelector("[data-upload-cancel]");
    this.url = null;
    this.running = false;
    this.cancelled = false;
    this.controller = null;
    form.addEventListener("submit", this.onSubmit.bind(this));
    this.cancelButton.addEventListener("click", this.onCancel.bind(this));
  }

  Uploader.prototype.say = function (text, kind) {
    this.message.textContent = text;
    this.message.dataset.kind = kind || "info";
  };

  Uploader.prototype.show = function (received, total) {
    this.progress.hidden = false;
    this.progress.max = total;
    this.progress.value = received;
    var percent = total ? Math.floor(received * 100 / total) + "%" : "0%";
    this.say(fmt(this.data.msgUploading, { percent: percent }) + " (" + humanSize(received) + " / " + humanSize(total) + ")");
    this.progress.setAttribute("aria-valuetext", percent);
  };

  Uploader.prototype.call = function (method, url, body, headers) {
    this.controller = new AbortController();
    var allHeaders = { "X-CSRFToken": this.data.csrf, "Accept": "application/json" };
    Object.keys(headers || {}).forEach(function (key) { allHeaders[key] = headers[key]; });
    return fetch(url, {
      method: method, body: body, headers: allHeaders, credentials: "same-origin", signal: this.controller.signal, cache: "no-store"
    }).then(function (response) {
      return readJson(response).then(function (json) { return { status: response.status, json: json }; });
    });
  };

  // One chunk with XMLHttpRequest, whose upload progress fetch() does not report: on a slow line the bar
  // moves while a 4 MB chunk is on its way, not only when it has arrived.
  Uploader.prototype.sendChunk = function (url, blob, offset, total) {
    var self = this;
    return new Promise(function (resolve, reject) {
      var request = new XMLHttpRequest();
      request.open("POST", url);
      request.setRequestHeader("X-CSRFToken", self.data.csrf);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("Content-Type", "application/octet-stream");
      request.upload.onprogress = function (event) { self.show(offset + event.loaded, total); };
      request.onload = function () {
        var json = {};
        if ((request.getResponseHeader("Content-Type") || "").indexOf("application/json") !== -1) {
          try { json = JSON.parse(request.responseText); } catch (e) { json = {}; }
        }
        resolve({ status: request.status, json: json });
      };
      request.onerror = request.ontimeout = function () { reject(new Error("network")); };
      request.onabort = function () { reject(new Error("aborted")); };
      self.controller = { abort: function () { request.abort(); } };
      request.send(blob);
    });
  };

  Uploader.prototype.storageKey = function (file) {
    return "exhibition-upload:" + this.data.createUrl + ":" + (this.data.boothId || "stage") + ":" +
      file.name + ":" + file.size + ":" + file.lastModified;
  };

  Uploader.prototype.remember = function (file, url) {
    try {
      if (url) { window.localStorage.setItem(this.storageKey(file), url); } else { window.localStorage.removeItem(this.storageKey(file)); }
    } catch (e) { /* private mode: resuming after a reload is then not possible */ }
  };

  Uploader.prototype.recalled = function (file) {
    try { return window.localStorage.getItem(this.storageKey(file)); } catch (e) { return null; }
  };

  Uploader.prototype.fail = function (file, text) {
    this.remember(file, null);
    this.say(text || this.data.msgFailed, "error");
    this.finish();
  };

  Uploader.prototype.finish = function () {
    this.running = false;
    this.startButton.disabled = false;
    this.cancelButton.hidden = true;
  };

  // Ask the server how far the upload got; null when it no longer exists, undefined when unreachable.
  Uploader.prototype.askStatus = function () {
    var self = this;
    return self.call("GET", self.url).then(function (reply) {
      if (reply.status === 200) { return reply.json.received; }
      if (reply.status === 404) { return null; }
      return undefined;
    }, function () { return undefined; });
  };

  Uploader.prototype.onSubmit = function (event) {
    event.preventDefault();
    if (this.running) { return; }
    var input = this.form.querySelector("input[type=file]");
    var file = input.files && input.files[0];
    if (!file) { this.say(this.data.msgChoose, "error"); return; }
    var kindField = this.form.querySelector("[name=kind]");
    var kind = kindField ? kindField.value : "video";
    var limit = Number(kind === "video" ? this.data.maxVideo : this.data.maxPoster);
    if (limit && file.size > limit) { this.say(fmt(this.data.msgTooLarge, { max: humanSize(limit) }), "error"); return; }
    this.running = true;
    this.cancelled = false;
    this.startButton.disabled = true;
    this.cancelButton.hidden = false;
    this.run(file, kind).catch(this.fail.bind(this, file, null));
  };

  Uploader.prototype.run = async function (file, kind) {
    var offset = null;
    this.url = this.recalled(file);
    if (this.url) {
      offset = await this.askStatus();
      if (typeof offset !== "number") { this.url = null; offset = null; }
      else { this.say(fmt(this.data.msgResuming, { percent: Math.floor(offset * 100 / file.size) + "%" })); }
    }
    var chunkSize = 4 * 1024 * 1024;
    if (this.url === null) {
      var form = this.form;
      var value = function (name) { var input = form.querySelector("[name=" + name + "]"); return input ? input.value : ""; };
      var created = await this.call("POST", this.data.createUrl, JSON.stringify({
        booth_id: this.data.boothId ? Number(this.data.boothId) : null,
        stage: Boolean(this.data.stage),
        kind: kind,
        title: value("title"),
        dimension: value("dimension") || null,  // a booth's item: its Smart City dimension and programme, if chosen
        quick_win_id: value("quick_win") ? Number(value("quick_win")) : null,
        file_name: file.name,
        size: file.size
      }), { "Content-Type": "application/json" });
      if (created.status !== 201) { return this.fail(file, created.json.error); }
      this.url = created.json.url;
      chunkSize = created.json.chunk_size || chunkSize;
      offset = 0;
      this.remember(file, this.url);
    }
    var wait = 1;
    while (!this.cancelled) {
      this.show(offset, file.size);
      var reply;
      try {
        reply = await this.sendChunk(this.url + "?offset=" + offset, file.slice(offset, offset + chunkSize), offset, file.size);
      } catch (error) {
        reply = { status: 0, json: {} };
      }
      if (this.cancelled) { return; }
      if (reply.status === 201 && reply.json.done) {
        this.remember(file, null);
        this.progress.value = this.progress.max;
        this.say(reply.json.message || this.data.msgDone, "done");
        this.form.dataset.mediaId = reply.json.media_id;
        this.finish();
        if (this.data.reloadAfter) {  // the list below shows the new item (being processed) in its place
          window.setTimeout(function () { window.location.reload(); }, Number(this.data.reloadAfter) * 1000);
        }
        return;
      }
      if (reply.status === 200) { offset = reply.json.received; wait = 1; continue; }
      if (reply.status === 409 && typeof reply.json.received === "number") {
        if (reply.json.received >= file.size) { this.remember(file, null); this.say(reply.json.error, "done"); return this.finish(); }
        offset = reply.json.received;
        continue;
      }
      if (reply.status === 0 || reply.status >= 500 || reply.status === 429) {
        // The connection dropped or the server is busy: wait, then ask where to go on from.
        this.say(fmt(this.data.msgOffline, { seconds: wait }), "error");
        await sleep(wait);
        wait = Math.min(wait * 2, MAX_WAIT);
        if (this.cancelled) { return; }
        var received = await this.askStatus();
        if (received === null) { return this.fail(file, null); }
        if (typeof received === "number") { offset = received; }
        continue;
      }
      return this.fail(file, reply.json.error);
    }
  };

  Uploader.prototype.onCancel = function () {
    var self = this;
    var input = self.form.querySelector("input[type=file]");
    var file = input.files && input.files[0];
    self.cancelled = true;
    if (self.controller) { self.controller.abort(); }
    var done = function () {
      if (file) { self.remember(file, null); }
      self.progress.hidden = true;
      self.say(self.data.msgCancelled);
      self.finish();
    };
    if (!self.url) { done(); return; }
    self.call("DELETE", self.url).then(done, done);
  };

  document.querySelectorAll("[data-upload-widget]").forEach(function (form) { new Uploader(form); });
}());
