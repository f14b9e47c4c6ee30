CREATE TABLE "counter_baselines" (
	"key" text PRIMARY KEY NOT NULL,
	"packets" bigint NOT NULL,
	"bytes" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "device_addresses" (
	"device_id" integer NOT NULL,
	"address" "inet" NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	CONSTRAINT "device_addresses_device_id_address_pk" PRIMARY KEY("device_id","address")
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"id" serial PRIMARY KEY NOT NULL,
	"mac" "macaddr" NOT NULL,
	"name" text,
	"hostname" text,
	"vendor" text,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	CONSTRAINT "devices_mac_unique" UNIQUE("mac")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone NOT NULL,
	"user_agent" text,
	"ip" text
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "usage_day" (
	"bucket_start" timestamp with time zone NOT NULL,
	"device_id" integer NOT NULL,
	"kind" smallint NOT NULL,
	"rx_bytes" bigint NOT NULL,
	"tx_bytes" bigint NOT NULL,
	"rx_packets" bigint NOT NULL,
	"tx_packets" bigint NOT NULL,
	CONSTRAINT "usage_day_bucket_start_device_id_kind_pk" PRIMARY KEY("bucket_start","device_id","kind")
);
--> statement-breakpoint
CREATE TABLE "usage_hour" (
	"bucket_start" timestamp with time zone NOT NULL,
	"device_id" integer NOT NULL,
	"kind" smallint NOT NULL,
	"rx_bytes" bigint NOT NULL,
	"tx_bytes" bigint NOT NULL,
	"rx_packets" bigint NOT NULL,
	"tx_packets" bigint NOT NULL,
	CONSTRAINT "usage_hour_bucket_start_device_id_kind_pk" PRIMARY KEY("bucket_start","device_id","kind")
);
--> statement-breakpoint
CREATE TABLE "usage_minute" (
	"bucket_start" timestamp with time zone NOT NULL,
	"device_id" integer NOT NULL,
	"kind" smallint NOT NULL,
	"rx_bytes" bigint NOT NULL,
	"tx_bytes" bigint NOT NULL,
	"rx_packets" bigint NOT NULL,
	"tx_packets" bigint NOT NULL,
	CONSTRAINT "usage_minute_bucket_start_device_id_kind_pk" PRIMARY KEY("bucket_start","device_id","kind")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_username_unique" UNIQUE("username"),
	CONSTRAINT "users_username_lowercase" CHECK ("users"."username" = lower("users"."username"))
);
--> statement-breakpoint
ALTER TABLE "device_addresses" ADD CONSTRAINT "device_addresses_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "device_addresses_address_idx" ON "device_addresses" USING btree ("address");--> statement-breakpoint
CREATE INDEX "sessions_user_id_idx" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "sessions_expires_at_idx" ON "sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "usage_day_device_idx" ON "usage_day" USING btree ("device_id","bucket_start");--> statement-breakpoint
CREATE INDEX "usage_hour_device_idx" ON "usage_hour" USING btree ("device_id","bucket_start");--> statement-breakpoint
CREATE INDEX "usage_minute_device_idx" ON "usage_minute" USING btree ("device_id","bucket_start");