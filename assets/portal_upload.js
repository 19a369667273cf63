/*
 * Sends the chosen file (or files) to an upload route of the portal's backend and shows the progress.
 *
 * window.portalUpload({url, inputId, progressId, key, params, maxBytes, maxLabel}) returns a Promise that always
 * resolves (never rejects) to the route's JSON answer:
 *   {ok: true, message, id}  or  {ok: false, field: "file"|"amount"|"paid_on"|"reference"|"", message}
 *
 * With {multiple: true} (and optionally maxFiles, notFoundMessage) every chosen file is sent one after another,
 * each with its own idempotency key (key + "-" + its number), the bar showing the bytes of all files, and the
 * Promise resolves to {ok, message, field, files: [{name, ok, message, id}]}: ok only when every file was
 * accepted. A refusal of the whole request (no access, rate limit: field "") stops the files not yet sent.
 * The body is the raw file (not multipart); the session cookie goes along (withCredentials) and the custom
 * X-Portal-Upload header makes the browser ask the backend first (CORS preflight), so other sites cannot post.
 * It disables nothing itself: the page state does that while the upload runs.
 */
(function () {
  "use strict";

  function failure(field, message) {
    return { ok: false, field: field, message: message };
  }

  function query(params) {
    var parts = [];
    Object.keys(params || {}).forEach(function (name) {
      var value = params[name];
      if (value === undefined || value === null) return;
      parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(String(value)));
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  function showProgress(bar, loaded, total) {
    if (!bar) return;
    bar.hidden = false;
    if (total > 0) {
      bar.max = total;
      bar.value = Math.min(loaded, total);
      bar.setAttribute("aria-valuetext", Math.round((100 * Math.min(loaded, total)) / total) + "% sent");
    } else {
      bar.removeAttribute("value"); // indeterminate
    }
  }

  function hideProgress(bar) {
    if (!bar) return;
    bar.hidden = true;
    bar.value = 0;
    bar.removeAttribute("aria-valuetext");
  }

  function answerOf(xhr, notFoundMessage) {
    var body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch (e) {
      body = null;
    }
    if (body && typeof body === "object" && typeof body.ok === "boolean" && typeof body.message === "string") {
      if (!body.ok && typeof body.field !== "string") body.field = "";
      return body;
    }
    if (xhr.status === 413) {
      return failure("file", "The file is too large. Choose a smaller file.");
    }
    if (xhr.status === 404) {
      return failure(
        "",
        notFoundMessage || "This invoice is no longer available to you. Reload the page and sign in again if asked."
      );
    }
    return failure("", "The upload could not be completed (error " + xhr.status + "). Please try again.");
  }

  // One file to the route; progress(loaded, total) as it goes. Resolves to the route's answer, never rejects.
  function sendOne(opts, file, key, progress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      var settled = false;
      function finish(result) {
        if (settled) return;
        settled = true;
        resolve(result);
      }
      try {
        xhr.open("POST", String(opts.url || "") + query(opts.params), true);
        xhr.withCredentials = true;
        xhr.setRequestHeader("X-Portal-Upload", "1");
        xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name || "upload"));
        xhr.setRequestHeader("X-Idempotency-Key", String(key || ""));
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
        xhr.upload.onprogress = function (event) {
          progress(event.loaded, event.lengthComputable ? event.total : 0);
        };
        xhr.onload = function () {
          finish(answerOf(xhr, opts.notFoundMessage));
        };
        xhr.onerror = function () {
          finish(
            failure("file", "The file could not be sent: the connection failed or the file is too large. Check your connection and try again.")
          );
        };
        xhr.ontimeout = function () {
          finish(failure("file", "Sending the file took too long. Check your connection and try again."));
        };
        xhr.onabort = function () {
          finish(failure("file", "The upload was cancelled. Nothing was sent."));
        };
        xhr.send(file);
      } catch (e) {
        finish(failure("file", "The file could not be sent. Reload the page and try again."));
      }
    });
  }

  function tooLarge(opts) {
    return "The file is too large: files can be at most " + (opts.maxLabel || opts.maxBytes + " bytes") + ". Choose a smaller file.";
  }

  // Several files, one after another: a per-file list of answers.
  function sendMany(opts, input, bar) {
    var files = Array.prototype.slice.call(input.files);
    var most = opts.maxFiles || 10;
    if (files.length > most) {
      return Promise.resolve(failure("file", "Choose at most " + most + " files at a time."));
    }
    var total = files.reduce(function (sum, f) { return sum + (f.size || 0); }, 0);
    var done = 0;
    var results = [];
    var stopped = null;
    var chain = Promise.resolve();
    files.forEach(function (file, index) {
      chain = chain.then(function () {
        var name = file.name || "upload";
        if (stopped) {
          results.push({ name: name, ok: false, message: "Not sent: " + stopped });
          return null;
        }
        if (file.size === 0) {
          results.push({ name: name, ok: false, message: "The file is empty. Choose another file." });
          return null;
        }
        if (opts.maxBytes && file.size > opts.maxBytes) {
          results.push({ name: name, ok: false, message: tooLarge(opts) });
          done += file.size;
          return null;
        }
        var label = "File " + (index + 1) + " of " + files.length + ": ";
        return sendOne(opts, file, String(opts.key || "") + "-" + (index + 1), function (loaded) {
          showProgress(bar, done + Math.min(loaded, file.size), total);
          if (bar) bar.setAttribute("aria-valuetext", label + Math.round((100 * (done + Math.min(loaded, file.size))) / (total || 1)) + "% sent");
        }).then(function (answer) {
          done += file.size;
          results.push({ name: name, ok: answer.ok, message: answer.message, id: answer.id });
          if (!answer.ok && answer.field === "") stopped = answer.message;
        });
      });
    });
    return chain.then(function () {
      hideProgress(bar);
      var sent = results.filter(function (r) { return r.ok; }).length;
      var all = sent === results.length;
      var message = all
        ? (sent === 1 ? "1 file sent." : sent + " files sent.")
        : sent + " of " + results.length + " files sent.";
      return { ok: all, field: all ? "" : "file", message: message, files: results };
    });
  }

  window.portalUpload = function (options) {
    var opts0 = options || {};
    if (opts0.multiple) {
      var input0 = document.getElementById(opts0.inputId || "");
      var bar0 = document.getElementById(opts0.progressId || "");
      if (!input0 || !input0.files || !input0.files.length) {
        return Promise.resolve(failure("file", "Choose a file to send."));
      }
      return sendMany(opts0, input0, bar0);
    }
    return new Promise(function (resolve) {
      var opts = opts0;
      var input = document.getElementById(opts.inputId || "");
      var bar = document.getElementById(opts.progressId || "");
      var file = input && input.files && input.files.length ? input.files[0] : null;
      if (!file) {
        resolve(failure("file", "Choose a file to send."));
        return;
      }
      if (input.files.length > 1) {
        resolve(failure("file", "Choose one file only."));
        return;
      }
      if (file.size === 0) {
        resolve(failure("file", "The file is empty. Choose another file."));
        return;
      }
      if (opts.maxBytes && file.size > opts.maxBytes) {
        // The server refuses it too; saying so now saves sending it.
        resolve(failure("file", tooLarge(opts)));
        return;
      }

      showProgress(bar, 0, file.size);
      sendOne(opts, file, opts.key, function (loaded, total) {
        showProgress(bar, loaded, total);
      }).then(function (answer) {
        hideProgress(bar);
        resolve(answer);
      });
    });
  };
})();
