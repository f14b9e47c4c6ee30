import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// `npm run dev -w ui` proxies the API to a running gateway (PP_GATEWAY, default the lab's).
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const gateway = env.PP_GATEWAY ?? 'http://192.168.77.1:8080';

export default defineConfig({
  plugins: [vue()],
  // Composition API only: dropping the Options API makes Vue's runtime smaller.
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  resolve: { alias: { '@': new URL('./src', import.meta.url).pathname } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The gateway serves assets/ with a year-long immutable cache: every name carries a hash.
    assetsDir: 'assets',
    chunkSizeWarningLimit: 600,
    manifest: true,
  },
  server: {
    proxy: { '/api': { target: gateway, ws: true, changeOrigin: false } },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
