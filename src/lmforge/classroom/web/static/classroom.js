// lmforge classroom: the student's class page. Streams the class over server-sent events,
// posts the learner's actions with the page's CSRF token, and renders every message with
// textContent only (model and user text never become HTML). No inline script: CSP.
(function () {
  "use strict";

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function Classroom(root) {
    this.root = root;
    this.sid = root.getAttribute("data-sid");
    this.after = parseInt(root.getAttribute("data-after") || "0", 10) || 0;
    this.chat = document.getElementById("chat");
    this.quiz = document.getElementById("quiz");
    this.slide = document.getElementById("slide");
    this.caption = document.getElementById("slide-caption");
    this.state = document.getElementById("class-state");
    this.error = document.getElementById("class-error");
    this.cards = {};
    this.answered = {};
    this.seen = {};
    var items = this.chat.querySelectorAll("li[data-id]");
    for (var i = 0; i < items.length; i++) { this.seen[items[i].getAttribute("data-id")] = true; }
  }

  Classroom.prototype.post = function (url, body) {
    var self = this;
    var form = body || new URLSearchParams();
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
      body: form
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { self.showError(data.detail || ("error " + r.status)); }
        else { self.showError(""); }
        return { ok: r.ok, data: data };
      });
    }).catch(function () { self.showError("the server cannot be reached"); return { ok: false }; });
  };

  Classroom.prototype.showError = function (text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  };

  Classroom.prototype.addMessage = function (m) {
    if (this.seen[String(m.id)]) { return; }
    this.seen[String(m.id)] = true;
    var shown = ["showFile", "speak", "user_message", "question", "answer", "error"];
    if (shown.indexOf(m.action) < 0) { return; }
    var li = el("li", "msg role-" + m.role + " action-" + m.action);
    li.setAttribute("data-id", String(m.id));
    li.appendChild(el("span", "speaker", m.speaker));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "role", "(" + m.role + ")"));
    li.appendChild(el("div", "content", m.content));
    this.chat.appendChild(li);
    this.chat.scrollTop = this.chat.scrollHeight;
    if (m.quiz) { this.cards[m.quiz.function_idx] = m.quiz; this.openQuiz(m.quiz); }
    if (m.action === "answer" && m.function_idx !== null) {
      this.answered[m.function_idx] = true;
      this.quiz.hidden = true;
    }
  };

  Classroom.prototype.openQuiz = function (card) {
    if (this.answered[card.function_idx]) { return; }
    this.quiz.setAttribute("data-function", String(card.function_idx));
    this.quiz.querySelector(".quiz-question").textContent = card.question;
    var box = this.quiz.querySelector(".quiz-options");
    while (box.firstChild) { box.removeChild(box.firstChild); }
    for (var i = 0; i < card.options.length; i++) {
      var opt = card.options[i];
      var label = el("label", "option");
      var input = document.createElement("input");
      input.type = card.multiple ? "checkbox" : "radio";
      input.name = "answer";
      input.value = opt.letter;
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + opt.letter + ". " + opt.text));
      box.appendChild(label);
    }
    this.quiz.hidden = false;
  };

  Classroom.prototype.applyStatus = function (s) {
    if (s.page && String(s.page) !== this.root.getAttribute("data-page")) {
      this.root.setAttribute("data-page", String(s.page));
      this.slide.src = "/class/" + this.sid + "/slide/" + s.page + ".png";
      this.slide.alt = "Slide " + s.page;
      this.caption.textContent = "Slide " + s.page;
      var texts = this.root.querySelectorAll(".slide-text");
      for (var i = 0; i < texts.length; i++) {
        texts[i].hidden = texts[i].getAttribute("data-page") !== String(s.page);
      }
    }
    var text = s.finished ? "The lecture is over." :
      s.paused ? "Paused." :
      s.waiting === "answer" ? "Your turn: answer the quiz." :
      s.waiting === "message" ? "Your turn: ask, answer, or press Continue." :
      "The class is speaking…";
    this.state.textContent = text;
    if (s.waiting !== "answer") { this.quiz.hidden = true; }
    document.getElementById("pause").hidden = !!s.paused;
    document.getElementById("resume").hidden = !s.paused;
    var mode = document.getElementById("mode");
    if (s.mode && mode.value !== s.mode) { mode.value = s.mode; }
  };

  Classroom.prototype.listen = function () {
    var self = this;
    var url = this.root.getAttribute("data-events-url") + "?after=" + this.after;
    var source = new EventSource(url);
    source.addEventListener("message", function (e) {
      try { self.addMessage(JSON.parse(e.data)); } catch (err) { /* skip a broken event */ }
    });
    source.addEventListener("status", function (e) {
      try { self.applyStatus(JSON.parse(e.data)); } catch (err) { /* skip */ }
    });
    this.source = source;
  };

  Classroom.prototype.wire = function () {
    var self = this;
    var say = document.getElementById("say");
    say.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = document.getElementById("text");
      var body = new URLSearchParams();
      body.set("text", text.value);
      self.post(say.getAttribute("action"), body).then(function (r) {
        if (r.ok) { text.value = ""; }
      });
    });
    this.quiz.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = new URLSearchParams();
      var picked = self.quiz.querySelectorAll('input[name="answer"]:checked');
      for (var i = 0; i < picked.length; i++) { body.append("answer", picked[i].value); }
      self.post(self.quiz.getAttribute("action"), body);
    });
    ["continue", "pause", "resume"].forEach(function (id) {
      var button = document.getElementById(id);
      button.addEventListener("click", function () { self.post(button.getAttribute("data-action")); });
    });
    var mode = document.getElementById("mode");
    mode.addEventListener("change", function () {
      var body = new URLSearchParams();
      body.set("mode", mode.value);
      self.post(mode.getAttribute("data-action"), body);
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("classroom");
    if (!root) { return; }
    var img = document.getElementById("slide");
    // a deck without rendered images (PPTX without LibreOffice) shows the slide's text only
    img.addEventListener("error", function () { img.hidden = true; });
    img.addEventListener("load", function () { img.hidden = false; });
    if (img.complete && img.getAttribute("src") && !img.naturalWidth) { img.hidden = true; }
    var room = new Classroom(root);
    room.wire();
    room.listen();
  });
})();
