// "Copy address" buttons for calendar addresses. Without JavaScript the buttons stay hidden and the
// read-only field can be selected and copied by hand.
document.querySelectorAll("[data-copy-target]").forEach(function (button) {
  var field = document.getElementById(button.dataset.copyTarget);
  var status = document.getElementById(button.dataset.copyTarget + "-status");
  if (!field || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      status.textContent = "Address copied.";
    }, function () {
      field.select();
      status.textContent = "Select the address and copy it (Ctrl+C or Command+C).";
    });
  });
});
document.querySelectorAll(".feed-address").forEach(function (field) {
  field.addEventListener("focus", function () { field.select(); });
});
