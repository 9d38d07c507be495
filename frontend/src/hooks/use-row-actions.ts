import { type QueryKey, useMutation, useQueryClient } from "@tanstack/react-query"
import { useState } from "react"

/** The add/edit dialog of a list page: closed, adding a row, or editing one. */
export function useRowDialog<Row>() {
  const [state, setState] = useState<{ row?: Row } | null>(null)
  return {
    open: state !== null,
    /** The row being edited; undefined when adding one. */
    row: state?.row,
    add: () => setState({}),
    edit: (row: Row) => setState({ row }),
    close: () => setState(null),
  }
}

/**
 * Delete a row after the person confirms it: `ask` opens the confirmation (pass it as the
 * table's `onDelete`), `dialog` goes to a ConfirmDialog, and the list is fetched again.
 */
export function useDeleteRow<Row>({
  remove,
  invalidates,
  onDeleted,
}: {
  remove: (row: Row) => Promise<unknown>
  /** The lists that lose the row. */
  invalidates: QueryKey
  onDeleted: (row: Row) => void
}) {
  const queryClient = useQueryClient()
  const [row, setRow] = useState<Row | null>(null)
  const mutation = useMutation({
    mutationFn: remove,
    onSuccess: async (_data, deleted) => {
      onDeleted(deleted)
      setRow(null)
      await queryClient.invalidateQueries({ queryKey: invalidates })
    },
  })
  return {
    ask: (target: Row) => setRow(target),
    /** The row waiting for confirmation. */
    row,
    dialog: {
      open: row !== null,
      onClose: () => setRow(null),
      onConfirm: () => row !== null && mutation.mutate(row),
      pending: mutation.isPending,
    },
  }
}
