import { A } from '@solidjs/router'

export function NotFoundPage () {
  return (
    <div class="page narrow">
      <h1>Page not found</h1>
      <p>There is nothing at this address. <A href="/">Go to your workspaces</A>.</p>
    </div>
  )
}
