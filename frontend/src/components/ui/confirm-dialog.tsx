import type { ReactNode } from "react"
import { Button } from "./button"
import { Dialog, DialogFooter } from "./dialog"

export interface ConfirmDialogProps {
  open: boolean
  onClose: () => void
  onConfirm: () => void
  title: string
  description: ReactNode
  confirmLabel: string
  pending?: boolean
  tone?: "danger" | "primary"
}

/** "Are you sure?": the destructive button is never the one focused first. */
export function ConfirmDialog({
  open,
  onClose,
  onConfirm,
  title,
  description,
  confirmLabel,
  pending = false,
  tone = "danger",
}: ConfirmDialogProps) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={title}
      description={description}
      size="sm"
      busy={pending}
    >
      <DialogFooter>
        <Button variant="outline" onClick={onClose} disabled={pending} autoFocus>
          Cancel
        </Button>
        <Button
          variant={tone === "danger" ? "danger" : "primary"}
          onClick={onConfirm}
          loading={pending}
        >
          {confirmLabel}
        </Button>
      </DialogFooter>
    </Dialog>
  )
}
