/** The agent's version (package.json's; a test keeps them equal). Bundled builds have no package.json. */
export const AGENT_VERSION = '0.1.0';
