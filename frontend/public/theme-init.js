// Apply the remembered theme before the first paint, so the page never flashes the wrong one.
try {
  const theme = localStorage.getItem("theme")
  const dark =
    theme === "dark" || (theme !== "light" && matchMedia("(prefers-color-scheme: dark)").matches)
  document.documentElement.classList.toggle("dark", dark)
  document.documentElement.style.colorScheme = dark ? "dark" : "light"
} catch (_) {
  // Storage may be unavailable (private mode): the app applies the theme when it starts.
}
