import { createApp, watch } from 'vue';
import { createPinia } from 'pinia';
import './styles/theme.css';
import './styles/base.css';
import App from './app/App.vue';
import { createAppRouter } from './app/router';
import { ApiError, api, http } from './api';
import { useSessionStore } from './stores/session';
import { useThemeStore } from './stores/theme';
import { startLive, stopLive } from './live/socket';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
const router = createAppRouter();
app.use(router);

useThemeStore();
const session = useSessionStore();

// Any 401 (session expired, revoked, gateway restarted with a new database) → the login page,
// keeping where the user was.
http.onUnauthorized = () => {
  const wasIn = session.user !== null;
  session.sessionEnded();
  const here = router.currentRoute.value;
  if (!here.meta.public) {
    void router.replace({
      name: 'login',
      query: wasIn || here.fullPath !== '/' ? { next: here.fullPath } : {},
    });
  }
};

// The live feed runs while someone is logged in.
watch(
  () => session.user,
  (user) => {
    if (user)
      startLive({
        // a 401 ends the session (and the feed); other failures (gateway restarting) retry
        sessionAlive: () =>
          api.me().then(
            () => true,
            (err: unknown) => !(err instanceof ApiError && err.status === 401),
          ),
      });
    else stopLive();
  },
);

app.mount('#app');
