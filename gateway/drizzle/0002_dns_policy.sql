CREATE TABLE "dns_queries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "dns_queries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone NOT NULL,
	"device_id" integer NOT NULL,
	"client" "inet" NOT NULL,
	"name" text NOT NULL,
	"qtype" text NOT NULL,
	"rcode" text NOT NULL,
	"answer" text DEFAULT '' NOT NULL,
	"rule_id" integer,
	"block_reason" text,
	"latency_us" integer NOT NULL,
	"cached" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_value" text,
	"scope_device_id" integer,
	"enabled" boolean DEFAULT true NOT NULL,
	"note" text,
	"hits" bigint DEFAULT 0 NOT NULL,
	"last_hit_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rules_action" CHECK ("rules"."action" in ('block', 'allow')),
	CONSTRAINT "rules_target_type" CHECK ("rules"."target_type" in ('internet', 'service', 'category', 'domain')),
	CONSTRAINT "rules_target_value" CHECK (("rules"."target_type" = 'internet') = ("rules"."target_value" is null))
);
--> statement-breakpoint
ALTER TABLE "flow_usage_hour" ADD COLUMN "domain" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_usage_hour" DROP CONSTRAINT "flow_usage_hour_bucket_start_device_id_remote_proto_port_pk";--> statement-breakpoint
ALTER TABLE "flow_usage_hour" ADD CONSTRAINT "flow_usage_hour_bucket_start_device_id_remote_proto_port_domain_pk" PRIMARY KEY("bucket_start","device_id","remote","proto","port","domain");--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "bypass_prevention" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "block_quic" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_baselines" ADD COLUMN "domain" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "rules" ADD CONSTRAINT "rules_scope_device_id_devices_id_fk" FOREIGN KEY ("scope_device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dns_queries_at_idx" ON "dns_queries" USING btree ("at");--> statement-breakpoint
CREATE INDEX "dns_queries_device_idx" ON "dns_queries" USING btree ("device_id","at");