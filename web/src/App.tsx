// Routes (History API: every path is a real URL, so deep links survive a
// reload — the server answers index.html for every non-API path).

import { Navigate, Route, Router, useLocation, type RouteSectionProps } from '@solidjs/router'
import { Match, Switch, lazy, onMount, type Component } from 'solid-js'
import { createComponent } from 'solid-js/web'
import { Shell } from './components/Shell'
import { useAuth } from './context'
import { LoginPage, SignupPage } from './pages/AuthPages'
import { InvitePage } from './pages/InvitePage'
import { NotFoundPage } from './pages/NotFoundPage'
import { VerifyEmailPage } from './pages/VerifyEmailPage'
import { WorkspaceHomePage } from './pages/WorkspaceHomePage'
import { WorkspaceLayout } from './pages/WorkspaceLayout'
import { WorkspacesPage } from './pages/WorkspacesPage'
import { ProfilePage } from './pages/ProfilePage'
import { RoomPage } from './pages/RoomPage'
import { CalendarPage } from './pages/CalendarPage'
import { RsvpPage } from './pages/RsvpPage'
import { MentionsPage, SearchPage } from './pages/ChatSearchPage'
import { Loading } from './components/Feedback'

/** Shows `page` to signed-in people; sends others to /login and back afterwards. */
function signedIn (page: Component<RouteSectionProps>): Component<RouteSectionProps> {
  return (props) => {
    const auth = useAuth()
    const location = useLocation()
    const next = () => encodeURIComponent(location.pathname + location.search)
    return (
      <Switch>
        <Match when={auth.status() === 'checking'}><Loading what="your account" /></Match>
        <Match when={auth.status() === 'signed-out'}><Navigate href={`/login?next=${next()}`} /></Match>
        <Match when={auth.status() === 'signed-in'}>{createComponent(page, props)}</Match>
      </Switch>
    )
  }
}

// The editor page (Yjs, the provider, Monaco) loads when a document is opened.
const DocumentPage = lazy(() => import('./pages/DocumentPage').then((m) => ({ default: m.DocumentPage })))

const Workspaces = signedIn(WorkspacesPage)
const Workspace = signedIn(WorkspaceLayout)
const Invite = signedIn(InvitePage)
const Profile = signedIn(ProfilePage)
const Calendar = signedIn(() => <CalendarPage />)

export function App () {
  const auth = useAuth()
  onMount(() => { auth.check().catch(() => { /* shown by the pages: status is signed-out */ }) })
  return (
    <Router root={Shell}>
      <Route path="/login" component={LoginPage} />
      <Route path="/signup" component={SignupPage} />
      <Route path="/verify-email/:token" component={VerifyEmailPage} />
      <Route path="/invite/:token" component={Invite} />
      <Route path="/" component={Workspaces} />
      <Route path="/profile" component={Profile} />
      <Route path="/calendar" component={Calendar} />
      <Route path="/rsvp/:token" component={() => <RsvpPage />} />
      <Route path="/w/:workspaceId" component={Workspace}>
        <Route path="/" component={WorkspaceHomePage} />
        <Route path="/d/:docId" component={DocumentPage} />
        <Route path="/r/:roomId" component={RoomPage} />
        <Route path="/mentions" component={MentionsPage} />
        <Route path="/search" component={SearchPage} />
      </Route>
      <Route path="*404" component={NotFoundPage} />
    </Router>
  )
}
