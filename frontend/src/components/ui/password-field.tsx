import { Eye, EyeOff } from "lucide-react"
import { forwardRef, useState } from "react"
import { InputField, type InputFieldProps } from "./field"

/** A password input with a button that shows what was typed. */
export const PasswordField = forwardRef<
  HTMLInputElement,
  Omit<InputFieldProps, "type" | "trailing">
>(function PasswordField(props, ref) {
  const [visible, setVisible] = useState(false)
  const Icon = visible ? EyeOff : Eye
  return (
    <InputField
      ref={ref}
      type={visible ? "text" : "password"}
      trailing={
        <button
          type="button"
          onClick={() => setVisible((shown) => !shown)}
          aria-label={visible ? "Hide password" : "Show password"}
          aria-pressed={visible}
          className="rounded-md p-1.5 text-zinc-500 hover:bg-zinc-100 hover:text-zinc-800 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-200"
        >
          <Icon className="h-4 w-4" aria-hidden="true" />
        </button>
      }
      {...props}
    />
  )
})
