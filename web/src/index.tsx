// Entry point: the auth store, the router, the routes.

import { render } from 'solid-js/web'
import { App } from './App'
import { AuthProvider } from './context'
import { createAuth } from './stores/auth'
import './styles.css'

const root = document.getElementById('root')
if (!root) throw new Error('no #root element')

const auth = createAuth()
render(() => (
  <AuthProvider auth={auth}>
    <App />
  </AuthProvider>
), root)
