/** A tiny toast store: call `toast.success()` / `toast.error()` from anywhere. */

export type ToastKind = "success" | "error" | "info"

export interface Toast {
  id: number
  kind: ToastKind
  title: string
  description?: string
}

type Listener = () => void

const DURATION_MS: Record<ToastKind, number> = { success: 4000, info: 5000, error: 7000 }
let toasts: Toast[] = []
let nextId = 1
const listeners = new Set<Listener>()
const timers = new Map<number, ReturnType<typeof setTimeout>>()

function emit() {
  for (const listener of listeners) listener()
}

export function dismissToast(id: number) {
  clearTimeout(timers.get(id))
  timers.delete(id)
  toasts = toasts.filter((toast) => toast.id !== id)
  emit()
}

function show(kind: ToastKind, title: string, description?: string): number {
  const id = nextId++
  // The same message twice in a row (a double click, two failing queries) shows once.
  const duplicate = toasts.find(
    (t) => t.kind === kind && t.title === title && t.description === description,
  )
  if (duplicate) dismissToast(duplicate.id)
  toasts = [...toasts.slice(-3), { id, kind, title, description }]
  timers.set(
    id,
    setTimeout(() => dismissToast(id), DURATION_MS[kind]),
  )
  emit()
  return id
}

export const toast = {
  success: (title: string, description?: string) => show("success", title, description),
  error: (title: string, description?: string) => show("error", title, description),
  info: (title: string, description?: string) => show("info", title, description),
}

export function subscribeToasts(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function getToasts(): Toast[] {
  return toasts
}
