// Small line icons (inline SVG: no icon font, no emoji font needed).

import type { JSX } from 'solid-js'

function Icon (props: { children: JSX.Element }) {
  return (
    <svg class="svg-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"
      fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round">
      {props.children}
    </svg>
  )
}

export const PlusIcon = () => <Icon><path d="M8 3v10M3 8h10" /></Icon>
export const PencilIcon = () => <Icon><path d="M10.5 2.5l3 3L6 13H3v-3z" /><path d="M9 4l3 3" /></Icon>
export const TrashIcon = () => (
  <Icon><path d="M2.5 4.5h11" /><path d="M6 4.5V3h4v1.5" /><path d="M4 4.5l.7 9h6.6l.7-9" /><path d="M6.8 7v4.5M9.2 7v4.5" /></Icon>
)
export const CloseIcon = () => <Icon><path d="M4 4l8 8M12 4l-8 8" /></Icon>
export const CollapseIcon = (props: { open: boolean }) => (
  <Icon>{props.open ? <path d="M10 3.5L5.5 8l4.5 4.5" /> : <path d="M6 3.5L10.5 8 6 12.5" />}</Icon>
)
export const ChevronIcon = (props: { open: boolean }) => (
  <Icon>{props.open ? <path d="M4 6l4 4 4-4" /> : <path d="M6 4l4 4-4 4" />}</Icon>
)
export const FileIcon = () => <Icon><path d="M4 1.8h5l3 3v9.4H4z" /><path d="M9 1.8v3h3" /></Icon>
export const HashIcon = () => <Icon><path d="M6 2.5L4.8 13.5M11.2 2.5L10 13.5M2.8 6h11M2.2 10h11" /></Icon>
export const ArchiveIcon = () => (
  <Icon><path d="M2 3h12v3H2z" /><path d="M3 6v7.5h10V6" /><path d="M6.5 9h3" /></Icon>
)
export const ChatIcon = () => <Icon><path d="M2.5 3h11v7.5H7l-3 2.5v-2.5H2.5z" /></Icon>
