/**
 * Every gateway route the UI calls, typed with the shapes of `@packetpilot/protocol` (never
 * copied here). One Http instance for the app; main.ts wires its 401 hook to the session store.
 */
import type {
  Agent,
  ApiToken,
  ApiTokenCreate,
  ApiTokenCreated,
  ApiTokenListQuery,
  AuditList,
  AuditQuery,
  CatalogCategory,
  CatalogService,
  Device,
  DevicePatch,
  DnsQueriesQuery,
  DnsQueryList,
  Enrollment,
  EnrollmentCreate,
  EnrollmentCreated,
  Health,
  LoginBody,
  LoginReply,
  Me,
  PasswordChange,
  Rule,
  RuleCreate,
  RuleExplanation,
  RulePatch,
  SetupBody,
  SummaryQuery,
  TopDomains,
  TopDomainsQuery,
  UsageBreakdown,
  UsageGroupBy,
  UsageQuery,
  UsageSeries,
  UsageSummary,
  User,
  UserCreate,
  UserPatch,
} from '@packetpilot/protocol';
import { Http } from './http';

export { ApiError, errorMessage } from './http';

export const http = new Http();

type SeriesQuery = Omit<UsageQuery, 'groupBy'>;
type BreakdownQuery = Omit<UsageQuery, 'groupBy' | 'bucket'> & { groupBy: UsageGroupBy };

export const api = {
  // session
  login: (body: LoginBody) => http.post<LoginReply>('/auth/login', body, { anonymous: true }),
  me: () => http.get<Me>('/auth/me'),
  logout: () => http.post<void>('/auth/logout'),
  changePassword: (body: PasswordChange) => http.post<void>('/auth/password', body),
  setup: (body: SetupBody) => http.post<Me>('/auth/setup', body, { anonymous: true }),
  health: () => http.get<Health>('/health'),

  // devices and usage
  devices: () => http.get<Device[]>('/devices'),
  device: (id: number) => http.get<Device>(`/devices/${id}`),
  updateDevice: (id: number, patch: DevicePatch) => http.patch<Device>(`/devices/${id}`, patch),
  usageSeries: (id: number, q: SeriesQuery) => http.get<UsageSeries>(`/devices/${id}/usage`, q),
  usageBreakdown: (id: number, q: BreakdownQuery) => http.get<UsageBreakdown>(`/devices/${id}/usage`, q),
  usageSummary: (q: SummaryQuery) => http.get<UsageSummary>('/usage/summary', q),
  topDomains: (id: number, q: TopDomainsQuery) => http.get<TopDomains>(`/devices/${id}/dns/top`, q),

  // rules and catalogue
  rules: (q: { device?: number } = {}) => http.get<Rule[]>('/rules', q),
  createRule: (body: RuleCreate) => http.post<Rule>('/rules', body),
  updateRule: (id: number, patch: RulePatch) => http.patch<Rule>(`/rules/${id}`, patch),
  deleteRule: (id: number) => http.delete(`/rules/${id}`),
  explain: (device: number, domain: string) =>
    http.get<RuleExplanation>('/rules/explain', { device, domain }),
  services: () => http.get<CatalogService[]>('/catalog/services'),
  categories: () => http.get<CatalogCategory[]>('/catalog/categories'),

  // DNS
  dnsQueries: (q: DnsQueriesQuery) => http.get<DnsQueryList>('/dns/queries', q),

  // users, tokens, audit (admin pages)
  users: () => http.get<User[]>('/users'),
  createUser: (body: UserCreate) => http.post<User>('/users', body),
  updateUser: (id: number, patch: UserPatch) => http.patch<User>(`/users/${id}`, patch),
  deleteUser: (id: number) => http.delete(`/users/${id}`),
  tokens: (q: ApiTokenListQuery = {}) => http.get<ApiToken[]>('/tokens', q),
  createToken: (body: ApiTokenCreate) => http.post<ApiTokenCreated>('/tokens', body),
  revokeToken: (id: number) => http.delete(`/tokens/${id}`),
  audit: (q: AuditQuery) => http.get<AuditList>('/audit', q),

  // agents
  agents: () => http.get<Agent[]>('/agents'),
  revokeAgent: (id: number) => http.delete(`/agents/${id}`),
  enrollments: () => http.get<Enrollment[]>('/agents/enrollments'),
  createEnrollment: (body: EnrollmentCreate) => http.post<EnrollmentCreated>('/agents/enrollments', body),
  revokeEnrollment: (id: number) => http.delete(`/agents/enrollments/${id}`),
};
