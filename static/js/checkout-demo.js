// Demo card form: one submission at a time, with the pay button showing that it works.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("demo-payment-form");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    const button = form.querySelector("#pay-button");
    if (button.disabled) { event.preventDefault(); return; }
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.textContent = "Processing…";
  });
});
