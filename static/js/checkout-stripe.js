// Mounts Stripe's Payment Element and confirms the payment; Stripe then sends the buyer to
// the return URL, whose page reads the result from the server.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("payment-form");
  if (!form) return;
  const button = document.getElementById("pay-button");
  const messageBox = document.getElementById("payment-message");
  const label = button.textContent;

  const showError = (text) => {
    messageBox.textContent = text;
    messageBox.hidden = false;
  };
  const setBusy = (busy) => {
    button.disabled = busy;
    button.setAttribute("aria-busy", busy ? "true" : "false");
    button.textContent = busy ? "Processing…" : label;
  };

  if (typeof window.Stripe !== "function") {
    showError("The payment form could not be loaded. Check your connection and reload the page.");
    return;
  }
  const stripe = window.Stripe(form.dataset.publishableKey);
  const elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  const paymentElement = elements.create("payment");
  const mountPoint = document.getElementById("payment-element");
  mountPoint.textContent = "";
  paymentElement.mount(mountPoint);
  paymentElement.on("ready", () => setBusy(false));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    messageBox.hidden = true;
    setBusy(true);
    const { error } = await stripe.confirmPayment({
      elements,
      confirmParams: { return_url: form.dataset.returnUrl },
    });
    // Only reached when the payment could not be confirmed; success leaves the page.
    setBusy(false);
    showError(error && error.message ? error.message : "The payment could not be completed.");
  });
});
