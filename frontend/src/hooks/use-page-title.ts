import { useEffect } from "react"
import { PRODUCT_NAME } from "@/components/brand"

/** The tab's title (and what screen readers announce on navigation): "Items · FastAPI Admin". */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · ${PRODUCT_NAME}`
  }, [title])
}
