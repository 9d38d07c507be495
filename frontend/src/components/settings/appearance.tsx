import { Monitor, Moon, Sun } from "lucide-react"
import { useState } from "react"
import { saveTheme, storedTheme, type Theme } from "@/lib/theme"
import { cn } from "@/lib/utils"
import { SettingsSection } from "./section"

const OPTIONS: { value: Theme; label: string; icon: typeof Sun }[] = [
  { value: "light", label: "Light", icon: Sun },
  { value: "dark", label: "Dark", icon: Moon },
  { value: "system", label: "System", icon: Monitor },
]

export function AppearanceSettings() {
  const [theme, setTheme] = useState<Theme>(storedTheme)
  return (
    <SettingsSection
      title="Appearance"
      description="Choose how the app looks. Remembered on this device."
    >
      <fieldset>
        <legend className="sr-only">Theme</legend>
        <div className="grid gap-3 sm:grid-cols-3">
          {OPTIONS.map((option) => (
            <label
              key={option.value}
              className={cn(
                "flex cursor-pointer items-center gap-3 rounded-xl border p-4 text-sm font-medium transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500",
                theme === option.value
                  ? "border-indigo-600 bg-indigo-50 text-indigo-700 dark:border-indigo-400 dark:bg-indigo-500/10 dark:text-indigo-300"
                  : "border-zinc-200 text-zinc-700 hover:border-zinc-300 dark:border-zinc-700 dark:text-zinc-300 dark:hover:border-zinc-600",
              )}
            >
              <input
                type="radio"
                name="theme"
                value={option.value}
                checked={theme === option.value}
                onChange={() => {
                  setTheme(option.value)
                  saveTheme(option.value)
                }}
                className="sr-only"
              />
              <option.icon className="h-5 w-5" aria-hidden="true" />
              {option.label}
            </label>
          ))}
        </div>
      </fieldset>
    </SettingsSection>
  )
}
