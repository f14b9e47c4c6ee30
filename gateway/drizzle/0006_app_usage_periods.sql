CREATE TABLE "app_usage_periods" (
	"agent_id" integer NOT NULL,
	"device_id" integer NOT NULL,
	"package" text NOT NULL,
	"label" text NOT NULL,
	"period_from" timestamp with time zone NOT NULL,
	"period_to" timestamp with time zone NOT NULL,
	"wifi_rx_bytes" bigint NOT NULL,
	"wifi_tx_bytes" bigint NOT NULL,
	"mobile_rx_bytes" bigint NOT NULL,
	"mobile_tx_bytes" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "app_usage_periods_agent_id_package_period_from_pk" PRIMARY KEY("agent_id","package","period_from")
);
--> statement-breakpoint
ALTER TABLE "app_usage_periods" ADD CONSTRAINT "app_usage_periods_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "app_usage_periods" ADD CONSTRAINT "app_usage_periods_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "app_usage_periods_device_idx" ON "app_usage_periods" USING btree ("device_id","period_from");