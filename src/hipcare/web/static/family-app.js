/* hipcare family pages (issue 17): the app on the home screen and a weak signal.

   - Registers the service worker (/family/sw.js) that keeps Today, the whole plan, the diary
     and the booklet for opening without a signal.
   - Says when a page is the copy from the last visit (no signal).
   - A diary entry written without a signal is kept on this phone (localStorage) and sent when
     the phone is back online, saying so; a photo cannot wait (it is too big to keep).
   - Signing out deletes what this phone kept (pages and unsent entries), after asking when
     entries are still waiting.
   Words come from the page (data-* attributes of #offline-status), in the family's language.
*/
"use strict";

(function () {
  const OUTBOX = "hipcare.diary.outbox";
  const status = document.getElementById("offline-status");
  const words = status ? status.dataset : {};

  function say(text) {
    if (status && text) {
      status.textContent = text;
      status.hidden = false;
    }
  }

  function outbox() {
    try {
      return JSON.parse(window.localStorage.getItem(OUTBOX) || "[]");
    } catch (error) {
      return [];
    }
  }

  function keep(entries) {
    if (entries.length) {
      window.localStorage.setItem(OUTBOX, JSON.stringify(entries));
    } else {
      window.localStorage.removeItem(OUTBOX);
    }
  }

  function forget() {
    window.localStorage.removeItem(OUTBOX);
    const done = [];
    if (window.caches) {
      done.push(caches.keys().then((names) => Promise.all(names.map((name) => caches.delete(name)))));
    }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage("forget");
    }
    return Promise.all(done);
  }

  function csrfToken() {
    const field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function showWaiting() {
    const waiting = document.getElementById("diary-waiting");
    if (!waiting) {
      return;
    }
    const count = outbox().length;
    waiting.hidden = count === 0;
    waiting.textContent = count ? (words.waiting || "").replace("{count}", String(count)) : "";
  }

  const NUMBERS = ["face", "legs", "activity", "cry", "consolability", "pain_score"];

  function entryOf(form) {
    const fields = {};
    new FormData(form).forEach((value, name) => {
      if (name === "csrf_token" || typeof value !== "string" || value === "") {
        return;
      }
      fields[name] = NUMBERS.includes(name) ? Number(value) : value;
    });
    return fields;
  }

  function hasPhoto(form) {
    const photo = form.querySelector("input[type=file]");
    return Boolean(photo && photo.files && photo.files.length);
  }

  async function sendWaiting() {
    const entries = outbox();
    if (!entries.length || !navigator.onLine) {
      return;
    }
    const left = [];
    let sent = 0;
    const advice = [];
    for (const entry of entries) {
      try {
        const response = await fetch("/api/family/children/" + entry.child + "/diary", {
          method: "POST",
          credentials: "same-origin",
          headers: { "content-type": "application/json", "x-csrf-token": csrfToken() },
          body: JSON.stringify(entry.fields),
        });
        if (response.status === 201) {
          sent += 1;
          const answer = await response.json();
          advice.push(...(answer.advice || []));
        } else if (response.status === 422) {
          sent += 0;  // the server refused it as written: it will not get better by waiting
        } else {
          left.push(entry);
        }
      } catch (error) {
        left.push(entry);
      }
    }
    keep(left);
    showWaiting();
    if (sent) {
      say([words.sent].concat(advice).join(" "));
    } else if (left.length) {
      say(words.notSent);
    }
  }

  function watchDiary() {
    document.querySelectorAll("form.entry").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (navigator.onLine) {
          return;  // sent as usual; the page answers with what to do
        }
        event.preventDefault();
        if (hasPhoto(form)) {
          say(words.photo);
          return;
        }
        const child = form.action.match(/\/family\/children\/(\d+)\/diary/);
        if (!child) {
          return;
        }
        const entries = outbox();
        entries.push({ child: child[1], fields: entryOf(form), written: new Date().toISOString() });
        keep(entries);
        form.reset();
        showWaiting();
        say(words.saved);
      });
    });
  }

  function watchSignOut() {
    document.querySelectorAll("form.sign-out").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (form.dataset.forgotten === "yes") {
          return;
        }
        event.preventDefault();
        if (outbox().length && !window.confirm(words.signOut)) {
          return;
        }
        forget().finally(() => {
          form.dataset.forgotten = "yes";
          form.submit();
        });
      });
    });
  }

  function watchSignal() {
    const banner = document.getElementById("offline-banner");
    function update() {
      if (banner) {
        banner.hidden = navigator.onLine;
      }
    }
    window.addEventListener("online", () => {
      update();
      sendWaiting();
    });
    window.addEventListener("offline", update);
    update();
  }

  // Only a family member's phone keeps pages: staff who open a family page keep nothing.
  if (document.body.dataset.signedIn === "yes") {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/family/sw.js", { scope: "/family" }).catch(() => {});
    }
    watchDiary();
    watchSignOut();
    watchSignal();
    showWaiting();
    sendWaiting();
  } else {
    // Signed out, or staff: keep nothing private on this device, and no worker to keep more.
    forget();
    if (navigator.serviceWorker) {
      navigator.serviceWorker.getRegistrations()
        .then((registrations) => registrations.forEach((registration) => registration.unregister()))
        .catch(() => {});
    }
  }
})();
