// A Stripe.js test double for the browser tests, served in place of https://js.stripe.com/v3/.
//
// It implements the part of Stripe.js that static/js/checkout-stripe.js uses:
//   Stripe(publishableKey) -> { elements({clientSecret}), confirmPayment({elements, confirmParams}) }
//   elements.create("payment") -> { mount(target), on("ready", callback) }
// The "Payment Element" is a plain card form (number, expiry, CVC) in the page itself, and
// confirmPayment talks to Stripe's API at https://api.stripe.com/v1 with the publishable key,
// as Stripe.js does; the tests route that origin to localstripe. Like Stripe.js, a successful
// payment leaves the page for the return URL with payment_intent,
// payment_intent_client_secret and redirect_status; a failure resolves {error: {message}}.
// A 3-D Secure challenge (requires_action) is approved at once, unless the page sets
// window.stripeDoubleFailAuthentication = true.
(function () {
  "use strict";

  const API = "https://api.stripe.com/v1";

  function fieldHtml(id, label, autocomplete, extra) {
    return (
      `<div class="form-field${extra.wide ? " wide" : ""}">` +
      `<label for="${id}">${label}</label>` +
      `<input id="${id}" name="${id}" autocomplete="${autocomplete}" inputmode="numeric"` +
      ` placeholder="${extra.placeholder}" spellcheck="false">` +
      "</div>"
    );
  }

  function paymentElement() {
    const listeners = {};
    let root = null;
    const emit = (name, payload) => (listeners[name] || []).forEach((callback) => callback(payload));
    return {
      mount(target) {
        root = typeof target === "string" ? document.querySelector(target) : target;
        root.innerHTML =
          '<div class="form-grid stripe-double" data-stripe-double="payment">' +
          fieldHtml("stripe-card-number", "Card number", "cc-number",
                    { wide: true, placeholder: "1234 1234 1234 1234" }) +
          fieldHtml("stripe-card-expiry", "Expiry (MM / YY)", "cc-exp", { placeholder: "MM / YY" }) +
          fieldHtml("stripe-card-cvc", "CVC", "cc-csc", { placeholder: "CVC" }) +
          "</div>";
        // Stripe's element reports "ready" once its iframe has loaded: always asynchronously.
        setTimeout(() => emit("ready", { elementType: "payment" }), 0);
      },
      on(name, callback) {
        (listeners[name] = listeners[name] || []).push(callback);
        return this;
      },
      values() {
        const read = (id) => (root.querySelector("#" + id).value || "").trim();
        return {
          number: read("stripe-card-number").replace(/[\s-]/g, ""),
          expiry: read("stripe-card-expiry"),
          cvc: read("stripe-card-cvc"),
        };
      },
    };
  }

  function validationError(message) {
    return { error: { type: "validation_error", message } };
  }

  window.Stripe = function Stripe(publishableKey) {
    async function post(path, fields) {
      const response = await fetch(API + path, {
        method: "POST",
        headers: {
          Authorization: "Bearer " + publishableKey,
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams(fields).toString(),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok || body.error) {
        const error = body.error || {};
        return { error: { type: error.type || "api_error", code: error.code,
                          message: error.message || "The payment could not be processed." } };
      }
      return { data: body };
    }

    return {
      elements({ clientSecret }) {
        let created = null;
        return {
          clientSecret,
          create(type) {
            if (type !== "payment") throw new Error("stripe_double.js only has the payment element");
            created = paymentElement();
            return created;
          },
          getElement() {
            return created;
          },
        };
      },

      async confirmPayment({ elements, confirmParams }) {
        const element = elements.getElement();
        const secret = elements.clientSecret || "";
        const intentId = secret.split("_secret_")[0];
        const card = element.values();
        if (!/^\d{12,19}$/.test(card.number)) return validationError("Your card number is incomplete.");
        const expiry = card.expiry.match(/^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/);
        if (!expiry) return validationError("Your card's expiration date is incomplete.");
        if (!/^\d{3,4}$/.test(card.cvc)) return validationError("Your card's security code is incomplete.");
        const year = expiry[2].length === 2 ? "20" + expiry[2] : expiry[2];

        const method = await post("/payment_methods", {
          type: "card",
          "card[number]": card.number,
          "card[exp_month]": String(Number(expiry[1])),
          "card[exp_year]": year,
          "card[cvc]": card.cvc,
        });
        if (method.error) return method;
        const attached = await post(`/payment_intents/${intentId}`, { payment_method: method.data.id });
        if (attached.error) return attached;
        const confirmed = await post(`/payment_intents/${intentId}/confirm`, { client_secret: secret });
        if (confirmed.error) return confirmed;
        let intent = confirmed.data;

        if (intent.status === "requires_action") {
          const approve = window.stripeDoubleFailAuthentication !== true;
          const authenticated = await post(
            `/payment_intents/${intentId}/_authenticate?success=${approve}`,
            { key: publishableKey, client_secret: secret });
          if (authenticated.error) return authenticated;
          intent = authenticated.data;
        }
        if (intent.status === "succeeded" || intent.status === "processing") {
          const target = new URL(confirmParams.return_url, window.location.href);
          target.searchParams.set("payment_intent", intent.id);
          target.searchParams.set("payment_intent_client_secret", secret);
          target.searchParams.set("redirect_status", "succeeded");
          window.location.assign(target.toString());
          // Stripe.js never resolves once it has sent the buyer away.
          return new Promise(() => {});
        }
        const failure = intent.last_payment_error || {};
        return { error: { type: "card_error", code: failure.code,
                          message: failure.message || "The payment could not be completed." } };
      },
    };
  };
})();
