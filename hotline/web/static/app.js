// Small enhancements for keyboard-only work during a call. Every form still works without this file.
(function () {
  "use strict";

  function setUpTipForm(form) {
    var persons = document.getElementById("persons");
    var template = document.getElementById("person-template");
    var addButton = document.getElementById("add-person");
    var submitButton = document.getElementById("submit-tip");

    function renumber() {
      var blocks = persons.querySelectorAll("[data-person]");
      blocks.forEach(function (block, position) {
        var number = block.querySelector("[data-person-number]");
        if (number) number.textContent = String(position + 1);
      });
    }

    function showRemoveButtons(scope) {
      scope.querySelectorAll("[data-remove-person]").forEach(function (button) {
        button.hidden = false;
      });
    }

    function nextIndex() {
      var highest = -1;
      persons.querySelectorAll("[data-person]").forEach(function (block) {
        highest = Math.max(highest, Number(block.getAttribute("data-index")));
      });
      return highest + 1;
    }

    function addPerson() {
      var index = nextIndex();
      // The template is one person block with index 999 in every name and id.
      var html = template.innerHTML.replace(/persons\[999\]/g, "persons[" + index + "]")
        .replace(/persons-999-/g, "persons-" + index + "-")
        .replace(/person-999-/g, "person-" + index + "-")
        .replace(/data-index="999"/g, 'data-index="' + index + '"');
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var block = holder.firstElementChild;
      persons.appendChild(block);
      showRemoveButtons(block);
      renumber();
      var first = block.querySelector("[data-first]");
      if (first) first.focus();
    }

    addButton.addEventListener("click", function (event) {
      event.preventDefault();
      addPerson();
    });

    persons.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-person]");
      if (!button) return;
      var block = button.closest("[data-person]");
      var previous = block.previousElementSibling;
      block.remove();
      renumber();
      (previous ? previous.querySelector("[data-first]") : addButton).focus();
    });

    document.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit(submitButton);
      } else if (event.altKey && event.shiftKey && (event.key === "P" || event.key === "p" || event.code === "KeyP")) {
        event.preventDefault();
        addPerson();
      }
    });

    form.addEventListener("submit", function (event) {
      // One tip per call: a second click while the first is on its way does nothing.
      if (form.getAttribute("data-sending") === "1") {
        event.preventDefault();
        return;
      }
      if (event.submitter && event.submitter.value === "submit") form.setAttribute("data-sending", "1");
    });

    showRemoveButtons(persons);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var tipForm = document.getElementById("tip-form");
    if (tipForm) setUpTipForm(tipForm);
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
