// Search as you type (the Next.js Learn course's search, on a server-rendered page).
// 300 ms after the last keystroke, fetch the page for the new query as one complete
// document (?stream=off), swap its #results in, and replace the URL so that reload, back
// and sharing show the same results. A newer keystroke cancels an older fetch. Without
// JavaScript the form's Search button does the same with a full page load.
(() => {
  const form = document.querySelector('form[data-live-search]');
  const input = form && form.querySelector('input[name="query"]');
  if (!input) return;
  let timer = 0;
  let inFlight = null;

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, 300);
  });

  async function search() {
    const url = new URL(form.action, location.href);
    if (input.value) url.searchParams.set('query', input.value);
    const whole = new URL(url);
    whole.searchParams.set('stream', 'off');
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    let html;
    try {
      const response = await fetch(whole, { signal: controller.signal });
      if (!response.ok) throw new Error(`search answered ${response.status}`);
      html = await response.text();
    } catch (error) {
      if (error.name === 'AbortError') return;
      location.assign(url);
      return;
    }
    const fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('results');
    const current = document.getElementById('results');
    if (!fresh || !current) return location.assign(url);
    current.replaceWith(document.adoptNode(fresh));
    history.replaceState(null, '', url);
    document.dispatchEvent(new CustomEvent('braid:search', { detail: { url: url.href } }));
  }
})();
