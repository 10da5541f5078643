// Small SDP edits the call makes to its own answers: declaring how much the
// browser is willing to receive (RFC 3556 `b=AS`), which the SFU honours
// when it picks simulcast layers for this receiver.

/** What the data saver declares per received video, in kbit/s. */
export const DATA_SAVER_KBPS = 200

/**
 * `sdp` with a `b=AS:kbps` line in every video section (replacing any there
 * was). The line goes after the section's `c=` line, where RFC 4566 puts it.
 */
export function withReceiveLimit (sdp: string, kbps: number): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n'
  const out: string[] = []
  let video = false
  let placed = false
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      video = line.startsWith('m=video')
      placed = false
    } else if (video && (line.startsWith('b=AS:') || line.startsWith('b=TIAS:'))) {
      continue
    }
    out.push(line)
    if (video && !placed && line.startsWith('c=')) {
      out.push(`b=AS:${kbps}`)
      placed = true
    }
  }
  return out.join(eol)
}
