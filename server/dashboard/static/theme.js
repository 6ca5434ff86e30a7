// Before the first paint: the theme chosen earlier, else the system's.
// (A classic script, so that it runs before the page is drawn.)
document.documentElement.dataset.theme = localStorage.getItem("hero.theme") ??
  (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
