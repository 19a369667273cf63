/*
 * Sends one chosen file to an upload route of the portal's backend and shows its progress.
 *
 * window.portalUpload({url, inputId, progressId, key, params, maxBytes, maxLabel}) returns a Promise that always
 * resolves (never rejects) to the route's JSON answer:
 *   {ok: true, message, id}  or  {ok: false, field: "file"|"amount"|"paid_on"|"reference"|"", message}
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

  function answerOf(xhr) {
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
      return failure("", "This invoice is no longer available to you. Reload the page and sign in again if asked.");
    }
    return failure("", "The upload could not be completed (error " + xhr.status + "). Please try again.");
  }

  window.portalUpload = function (options) {
    return new Promise(function (resolve) {
      var opts = options || {};
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
        resolve(
          failure("file", "The file is too large: files can be at most " + (opts.maxLabel || opts.maxBytes + " bytes") + ". Choose a smaller file.")
        );
        return;
      }

      var xhr = new XMLHttpRequest();
      var settled = false;
      function finish(result) {
        if (settled) return;
        settled = true;
        hideProgress(bar);
        resolve(result);
      }
      try {
        xhr.open("POST", String(opts.url || "") + query(opts.params), true);
        xhr.withCredentials = true;
        xhr.setRequestHeader("X-Portal-Upload", "1");
        xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name || "upload"));
        xhr.setRequestHeader("X-Idempotency-Key", String(opts.key || ""));
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
        xhr.upload.onprogress = function (event) {
          showProgress(bar, event.loaded, event.lengthComputable ? event.total : 0);
        };
        xhr.onload = function () {
          finish(answerOf(xhr));
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
        showProgress(bar, 0, file.size);
        xhr.send(file);
      } catch (e) {
        finish(failure("file", "The file could not be sent. Reload the page and try again."));
      }
    });
  };
})();
