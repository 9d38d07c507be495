import { createContext, type ReactNode, useContext } from "react"

const InsideShell = createContext(false)

/** Marks what the app shell wraps: it has its own <main>. */
export function ShellContent({ children }: { children: ReactNode }) {
  return <InsideShell.Provider value={true}>{children}</InsideShell.Provider>
}

/**
 * The page's <main> for pages shown both on their own and inside the app shell (not
 * found, an error): inside the shell it is a plain block, since a page has one main.
 */
export function PageMain({ className, children }: { className?: string; children: ReactNode }) {
  const Element = useContext(InsideShell) ? "div" : "main"
  return <Element className={className}>{children}</Element>
}
