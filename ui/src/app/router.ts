import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import type { Level } from '@/stores/access';
import { useSessionStore } from '@/stores/session';
import { useNoticesStore } from '@/stores/notices';

declare module 'vue-router' {
  interface RouteMeta {
    title: string;
    /** Reachable without a session (the login page). */
    public?: boolean;
    /** The least role that may open the page; default viewer. */
    level?: Level;
  }
}

// Pages are separate chunks: the login page does not download ECharts.
export const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/features/Login/LoginPage.vue'),
    meta: { title: 'Log in', public: true },
  },
  {
    path: '/',
    name: 'overview',
    component: () => import('@/features/Overview/OverviewPage.vue'),
    meta: { title: 'Overview' },
  },
  {
    path: '/devices',
    name: 'devices',
    component: () => import('@/features/Devices/DevicesPage.vue'),
    meta: { title: 'Devices' },
  },
  {
    path: '/devices/:id(\\d+)',
    name: 'device',
    component: () => import('@/features/Devices/DeviceDetailPage.vue'),
    props: (route) => ({ id: Number(route.params.id) }),
    meta: { title: 'Device' },
  },
  {
    path: '/rules',
    name: 'rules',
    component: () => import('@/features/Rules/RulesPage.vue'),
    meta: { title: 'Rules' },
  },
  {
    path: '/dns',
    name: 'dns',
    component: () => import('@/features/DnsLog/DnsLogPage.vue'),
    meta: { title: 'DNS log' },
  },
  {
    path: '/admin/users',
    name: 'admin-users',
    component: () => import('@/features/Admin/UsersPage.vue'),
    meta: { title: 'Users', level: 'admin' },
  },
  {
    path: '/admin/agents',
    name: 'admin-agents',
    component: () => import('@/features/Admin/AgentsPage.vue'),
    meta: { title: 'Agents', level: 'admin' },
  },
  {
    path: '/admin/audit',
    name: 'admin-audit',
    component: () => import('@/features/Admin/AuditPage.vue'),
    meta: { title: 'Audit log', level: 'admin' },
  },
  {
    path: '/account',
    name: 'account',
    component: () => import('@/features/Account/AccountPage.vue'),
    meta: { title: 'Account' },
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('@/features/NotFound/NotFoundPage.vue'),
    meta: { title: 'Not found' },
  },
];

export function createAppRouter() {
  const router = createRouter({
    history: createWebHistory(),
    routes,
    scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  });

  router.beforeEach(async (to) => {
    const session = useSessionStore();
    const user = await session.ensure().catch(() => null);
    if (to.meta.public) {
      // already logged in: the login page forwards to where the user wanted to go
      if (user && to.name === 'login') return safeNext(to.query.next);
      return true;
    }
    if (!user) return { name: 'login', query: to.fullPath === '/' ? {} : { next: to.fullPath } };
    if (to.meta.level && !session.can(to.meta.level)) {
      useNoticesStore().info(`${to.meta.title} needs the ${to.meta.level} role.`);
      return { name: 'overview' };
    }
    return true;
  });

  router.afterEach((to) => {
    document.title = `${to.meta.title} · Packet Pilot`;
  });

  return router;
}

/** Only local paths are followed after login (no open redirect). */
export function safeNext(next: unknown): string {
  const s = Array.isArray(next) ? next[0] : next;
  return typeof s === 'string' && s.startsWith('/') && !s.startsWith('//') ? s : '/';
}
