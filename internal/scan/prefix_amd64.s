#include "textflag.h"

// func indexPrefixAVX2(p *byte, n int) int
//
// Each round compares the 32 bytes at i, i+1, ... i+4 with 'O', 'D', 'P',
// 'S', '-' and ANDs the five: a bit of the mask is a position where
// "ODPS-" starts. Unlike a search for one of its bytes, a round costs the
// same however many P's (or O's) the text holds.
TEXT ·indexPrefixAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ $0x4F, AX // 'O'
	MOVQ AX, X1
	VPBROADCASTB X1, Y1
	MOVQ $0x44, AX // 'D'
	MOVQ AX, X2
	VPBROADCASTB X2, Y2
	MOVQ $0x50, AX // 'P'
	MOVQ AX, X3
	VPBROADCASTB X3, Y3
	MOVQ $0x53, AX // 'S'
	MOVQ AX, X4
	VPBROADCASTB X4, Y4
	MOVQ $0x2D, AX // '-'
	MOVQ AX, X5
	VPBROADCASTB X5, Y5
	XORQ DX, DX

loop:
	CMPQ DX, CX
	JAE  notfound
	VPCMPEQB (SI)(DX*1), Y1, Y6
	VPCMPEQB 1(SI)(DX*1), Y2, Y7
	VPAND    Y6, Y7, Y6
	VPCMPEQB 2(SI)(DX*1), Y3, Y8
	VPCMPEQB 3(SI)(DX*1), Y4, Y9
	VPAND    Y8, Y9, Y8
	VPCMPEQB 4(SI)(DX*1), Y5, Y10
	VPAND    Y6, Y8, Y6
	VPAND    Y6, Y10, Y6
	VPMOVMSKB Y6, AX
	TESTL    AX, AX
	JNZ      found
	ADDQ     $32, DX
	JMP      loop

found:
	BSFL AX, AX
	ADDQ DX, AX
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET

notfound:
	MOVQ $-1, ret+16(FP)
	VZEROUPPER
	RET
