/* hipcare family pages' service worker (issue 17): Today, the whole plan, the diary and the
   booklet open without a signal, as they were at the last visit.

   - Scope /family only: staff pages are never seen here, so never kept.
   - Kept: a family child's page (today, plan, diary, booklet) after a successful signed-in
     visit, and the stylesheets and scripts they use. Nothing else (no API answers, no photos,
     no messages, no calendar).
   - With each kept page, the "No signal" page (/family/offline) in that page's language (the
     lang of its <html>), shown for a page not kept; the English one below until then.
   - A visit that ends at the sign-in page (signed out, session ended) deletes everything kept.
     Signing out deletes it too (family-app.js, and the server's Clear-Site-Data header).
*/
"use strict";

const CACHE = "hipcare-family-v1";
const KEPT_PAGE = /^\/family\/children\/\d+(\/plan|\/diary|\/booklet)?$/;
const OFFLINE = "/family/offline";
const KEPT_ASSET = /^\/(static\/[\w.-]+\.(css|js|png|webmanifest)|booklet\.css)$/;

self.addEventListener("install", (event) => {
  event.waitUntil(self.skipWaiting());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "forget") {
    event.waitUntil(caches.delete(CACHE));
  }
});

function englishOfflinePage() {
  const html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">" +
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
    "<title>No signal · hipcare</title><link rel=\"stylesheet\" href=\"/static/family.css\"></head>" +
    "<body><main id=\"main\"><h1>No signal</h1>" +
    "<p>This page was not saved on this phone. Open it once when you have a signal, and it will open without one next time.</p>" +
    "<p>If you are worried about your child, call the hospital now.</p></main></body></html>";
  return new Response(html, { status: 503, headers: { "content-type": "text/html; charset=utf-8" } });
}

async function offlinePage(cache) {
  const kept = await cache.match(OFFLINE);
  if (!kept) {
    return englishOfflinePage();
  }
  return new Response(kept.body, { status: 503, headers: kept.headers });
}

/* Keep the "No signal" page in the language of a page just kept (fetched again only when
   the language changed). A failure keeps the page kept before, or the English one. */
async function keepOfflinePage(cache, response) {
  try {
    const found = /<html[^>]*\slang="([A-Za-z-]+)"/.exec(await response.text());
    const lang = found ? found[1] : "en";
    const kept = await cache.match(OFFLINE);
    if (kept && kept.headers.get("content-language") === lang) {
      return;
    }
    const fresh = await fetch(OFFLINE + "?lang=" + encodeURIComponent(lang), { credentials: "omit" });
    if (fresh.ok) {
      await cache.put(OFFLINE, fresh);
    }
  } catch (error) {
    // no signal or no page: the one kept before (or the English one) stays
  }
}

async function page(event) {
  const request = event.request;
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    const url = new URL(response.url);
    if (response.redirected && url.pathname.startsWith("/sign-in")) {
      await caches.delete(CACHE);  // signed out: keep nothing
    } else if (response.ok && !response.redirected) {
      await cache.put(request, response.clone());
      event.waitUntil(keepOfflinePage(cache, response.clone()));
    }
    return response;
  } catch (error) {
    const kept = await cache.match(request, { ignoreSearch: true });
    return kept || offlinePage(cache);
  }
}

async function asset(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const kept = await cache.match(request);
    if (kept) {
      return kept;
    }
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate" && KEPT_PAGE.test(url.pathname)) {
    event.respondWith(page(event));
  } else if (KEPT_ASSET.test(url.pathname)) {
    event.respondWith(asset(request));
  }
});
