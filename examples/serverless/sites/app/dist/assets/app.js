// Built single-page app (spa: true: every unknown path serves index.html, routing happens here).
// The HTTP API's base URL is written into index.html at build time.
const API = document.querySelector('meta[name="api-base"]')?.content ?? '';

const routes = {
  '/': async () => {
    const user = localStorage.getItem('user') || '';
    const res = await fetch(`${API}/hello?user=${encodeURIComponent(user)}`);
    const { message, photos } = await res.json();
    return `<h1>${message}</h1><p>${photos ?? 0} photos</p><a href="/upload" data-link>Upload</a>`;
  },
  '/upload': async () => '<h1>Upload</h1><input type="file" accept="image/*"><a href="/" data-link>Back</a>',
};

async function render() {
  const view = routes[location.pathname] ?? (async () => '<h1>Not found</h1><a href="/" data-link>Home</a>');
  document.getElementById('app').innerHTML = await view();
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-link]');
  if (!link) return;
  event.preventDefault();
  history.pushState(null, '', link.getAttribute('href'));
  render();
});
window.addEventListener('popstate', render);
render();
