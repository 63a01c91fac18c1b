// "Copy" buttons beside a read-only address (calendar addresses, the cabin-leader sign-up link). Without
// JavaScript or the Clipboard API the buttons stay hidden and the field can be selected and copied by hand.
// What happened is said in the field's live region (<id>-status, role="status"): "Address copied." unless the
// button says otherwise (data-copied).
document.querySelectorAll("[data-copy-target]").forEach(function (button) {
  var field = document.getElementById(button.dataset.copyTarget);
  var status = document.getElementById(button.dataset.copyTarget + "-status");
  if (!field || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      status.textContent = button.dataset.copied || "Address copied.";
    }, function () {
      field.select();
      status.textContent = "Select the text and copy it (Ctrl+C or Command+C).";
    });
  });
});
document.querySelectorAll(".feed-address").forEach(function (field) {
  field.addEventListener("focus", function () { field.select(); });
});
