import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Agent, Enrollment, EnrollmentCreate, EnrollmentCreated } from '@packetpilot/protocol';
import { api } from '@/api';

export const useAgentsStore = defineStore('agents', () => {
  const agents = ref<Agent[]>([]);
  const enrollments = ref<Enrollment[]>([]);
  const loaded = ref(false);

  async function load(): Promise<void> {
    const [a, e] = await Promise.all([api.agents(), api.enrollments()]);
    agents.value = a;
    enrollments.value = e;
    loaded.value = true;
  }

  /** The reply carries the code and its QR code, shown once. */
  async function enroll(body: EnrollmentCreate): Promise<EnrollmentCreated> {
    const created = await api.createEnrollment(body);
    enrollments.value = await api.enrollments();
    return created;
  }

  async function revokeEnrollment(id: number): Promise<void> {
    await api.revokeEnrollment(id);
    enrollments.value = await api.enrollments();
  }

  async function revokeAgent(id: number): Promise<void> {
    await api.revokeAgent(id);
    agents.value = await api.agents();
  }

  return { agents, enrollments, loaded, load, enroll, revokeEnrollment, revokeAgent };
});
