import { zodResolver } from "@hookform/resolvers/zod"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useForm } from "react-hook-form"
import { itemsCreateItem, itemsUpdateItem } from "@/client/sdk.gen"
import type { ItemPublic } from "@/client/types.gen"
import { Button } from "@/components/ui/button"
import { Dialog, DialogFooter } from "@/components/ui/dialog"
import { InputField, TextareaField } from "@/components/ui/field"
import { type ItemValues, itemSchema, MAX_TEXT, orNull } from "@/lib/schemas"
import { useCurrentTeam } from "@/lib/team"
import { toast } from "@/lib/toast"

export interface ItemDialogProps {
  open: boolean
  onClose: () => void
  /** The item to edit; a new item when absent. */
  item?: ItemPublic
  onCreated?: (item: ItemPublic) => void
}

export function ItemDialog({ open, onClose, item, onCreated }: ItemDialogProps) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={item ? "Edit item" : "Add item"}
      description={
        item
          ? "Change the title or the description."
          : "Give it a title; a description is optional."
      }
    >
      <ItemForm item={item} onDone={onClose} onCreated={onCreated} />
    </Dialog>
  )
}

function ItemForm({
  item,
  onDone,
  onCreated,
}: {
  item?: ItemPublic
  onDone: () => void
  onCreated?: (item: ItemPublic) => void
}) {
  const queryClient = useQueryClient()
  const team = useCurrentTeam()
  const form = useForm<ItemValues>({
    resolver: zodResolver(itemSchema),
    defaultValues: { title: item?.title ?? "", description: item?.description ?? "" },
  })
  const save = useMutation({
    mutationFn: async (values: ItemValues) => {
      const body = { title: values.title.trim(), description: orNull(values.description) }
      return item
        ? (await itemsUpdateItem({ path: { item_id: item.id }, body, throwOnError: true })).data
        : (await itemsCreateItem({ body, query: { team_id: team.id }, throwOnError: true })).data
    },
    onSuccess: async (saved) => {
      toast.success(item ? "Item updated" : "Item added", `“${saved.title}”`)
      await queryClient.invalidateQueries({ queryKey: ["items"] })
      if (!item) onCreated?.(saved)
      onDone()
    },
  })
  const { errors } = form.formState
  const description = form.watch("description") ?? ""

  return (
    <form
      noValidate
      onSubmit={form.handleSubmit((values) => save.mutate(values))}
      className="space-y-5"
    >
      <InputField
        label="Title"
        required
        autoFocus
        error={errors.title?.message}
        {...form.register("title")}
      />
      <TextareaField
        label="Description"
        error={errors.description?.message}
        hint={`${description.length}/${MAX_TEXT} characters`}
        {...form.register("description")}
      />
      <DialogFooter>
        <Button variant="outline" onClick={onDone} disabled={save.isPending}>
          Cancel
        </Button>
        <Button type="submit" loading={save.isPending}>
          {item ? "Save changes" : "Add item"}
        </Button>
      </DialogFooter>
    </form>
  )
}
