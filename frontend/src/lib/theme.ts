/** Light, dark or the system's choice; remembered in localStorage. */

export type Theme = "light" | "dark" | "system"
export const THEME_KEY = "theme"

export function storedTheme(): Theme {
  const value = typeof localStorage !== "undefined" ? localStorage.getItem(THEME_KEY) : null
  return value === "light" || value === "dark" ? value : "system"
}

function systemPrefersDark(): boolean {
  return window.matchMedia("(prefers-color-scheme: dark)").matches
}

export function applyTheme(theme: Theme): void {
  const dark = theme === "dark" || (theme === "system" && systemPrefersDark())
  document.documentElement.classList.toggle("dark", dark)
  document.documentElement.style.colorScheme = dark ? "dark" : "light"
}

export function saveTheme(theme: Theme): void {
  if (theme === "system") localStorage.removeItem(THEME_KEY)
  else localStorage.setItem(THEME_KEY, theme)
  applyTheme(theme)
}
