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
export const MicIcon = () => (
  <Icon><rect x="6" y="1.8" width="4" height="7.4" rx="2" /><path d="M3.5 7.5a4.5 4.5 0 0 0 9 0M8 12v2.2" /></Icon>
)
export const MicOffIcon = () => (
  <Icon><path d="M10 6.5V3.8a2 2 0 0 0-4 0v3.4a2 2 0 0 0 3 1.7" /><path d="M3.5 7.5a4.5 4.5 0 0 0 7 3.7M12.4 8.6l.1-1.1M8 12v2.2M2 2l12 12" /></Icon>
)
export const CameraIcon = () => (
  <Icon><rect x="1.5" y="4" width="9" height="8" rx="1.2" /><path d="M10.5 7l4-2.2v6.4l-4-2.2" /></Icon>
)
export const CameraOffIcon = () => (
  <Icon><path d="M6 4h3.3a1.2 1.2 0 0 1 1.2 1.2V9M10.5 7l4-2.2v6.4l-2.5-1.4" /><path d="M3.3 4H2.7a1.2 1.2 0 0 0-1.2 1.2v5.6A1.2 1.2 0 0 0 2.7 12h6.6a1.2 1.2 0 0 0 1-.5M2 2l12 12" /></Icon>
)
export const ScreenIcon = () => <Icon><rect x="1.5" y="2.5" width="13" height="8.5" rx="1" /><path d="M5.5 14h5M8 11v3" /></Icon>
export const LeaveIcon = () => <Icon><path d="M6 2.5H3v11h3M10 5l3 3-3 3M13 8H6" /></Icon>
export const PinIcon = () => <Icon><path d="M6 1.8h4l-.5 4 2.5 2.5H4l2.5-2.5zM8 8.3v5.9" /></Icon>
